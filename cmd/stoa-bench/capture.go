package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/internal/querytrace"
)

// capturedQuery is one query a page ran, with its plans on the seeded data.
type capturedQuery struct {
	label     string
	explained querytrace.Explained
	err       error
}

// capturedPage is what one request to a page ran.
type capturedPage struct {
	endpoint string
	path     string
	status   int
	queries  []capturedQuery
}

// capture serves one request of each endpoint through the same web handlers as the server, in this
// process, on a pool with the query tracer, keeping every statement; then it runs each under
// EXPLAIN ANALYZE (custom and generic plan). The request is served twice and the second one kept,
// as the running server would (its permission cache and prepared statements warm).
func capture(ctx context.Context, handler http.Handler, pool *pgxpool.Pool, eps []endpoint) ([]capturedPage, error) {
	var pages []capturedPage
	for i, e := range eps {
		if e.kind == "baseline" {
			continue
		}
		r := rand.New(rand.NewPCG(7, uint64(i)))
		var stats *querytrace.Stats
		var rec *httptest.ResponseRecorder
		req := e.request(r, 0)
		for range 2 {
			var qctx context.Context
			qctx, stats = querytrace.NewContext(ctx, true)
			rec = httptest.NewRecorder()
			handler.ServeHTTP(rec, req.Clone(qctx))
		}
		if rec.Code != http.StatusOK {
			return nil, fmt.Errorf("%s %s answered %d in process", e.name, req.URL.RequestURI(), rec.Code)
		}
		page := capturedPage{endpoint: e.name, path: req.URL.RequestURI(), status: rec.Code}
		for _, st := range stats.Statements() {
			ex, err := bestExplain(ctx, pool, st)
			page.queries = append(page.queries, capturedQuery{label: label(st.SQL), explained: ex, err: err})
		}
		pages = append(pages, page)
	}
	return pages, nil
}

// explainRuns is how many times each statement is explained. On a shared machine one run can be
// descheduled in the middle (a plan node then shows milliseconds that none of its children spent):
// the fastest of a few runs is the statement's own cost, the one the "< 1 ms" target is about.
const explainRuns = 5

// bestExplain explains st explainRuns times and keeps the fastest custom and generic executions.
func bestExplain(ctx context.Context, pool *pgxpool.Pool, st querytrace.Statement) (querytrace.Explained, error) {
	var best querytrace.Explained
	for i := range explainRuns {
		ex, err := querytrace.Explain(ctx, pool, st)
		if err != nil {
			return ex, err
		}
		if i == 0 || ex.Custom.Execution < best.Custom.Execution {
			best.Custom = ex.Custom
		}
		if ex.HasGeneric && (!best.HasGeneric || ex.Generic.Execution < best.Generic.Execution) {
			best.Generic, best.HasGeneric = ex.Generic, true
		}
	}
	return best, nil
}

var spaces = regexp.MustCompile(`\s+`)

// label shortens a statement for a table: its text on one line, cut after what identifies it.
func label(sql string) string {
	s := strings.TrimSpace(spaces.ReplaceAllString(sql, " "))
	if i := strings.Index(s, " FROM "); strings.HasPrefix(s, "SELECT ") && i > 0 {
		// "SELECT <columns> FROM x": the columns say little, the tables say which query it is.
		s = "SELECT …" + s[i:]
	}
	const max = 110
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}
