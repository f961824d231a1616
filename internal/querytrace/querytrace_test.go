package querytrace_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/internal/querytrace"
	"github.com/stoa-forum/stoa/internal/testdb"
)

func tracedPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(testdb.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Tracer = querytrace.Tracer{}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// A request's queries, and only its own, are counted and reported in its Server-Timing header.
func TestMiddlewareReportsTheRequestsQueries(t *testing.T) {
	t.Parallel()
	pool := tracedPool(t)
	h := querytrace.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		for range 3 {
			if err := pool.QueryRow(r.Context(), `SELECT 1`).Scan(&n); err != nil {
				t.Error(err)
			}
		}
		// Two more sent together: a batch counts each of its queries.
		b := &pgx.Batch{}
		b.Queue(`SELECT 1`)
		b.Queue(`SELECT 2`)
		if err := pool.SendBatch(r.Context(), b).Close(); err != nil {
			t.Error(err)
		}
		// Not the request's: no Stats in this context.
		_ = pool.QueryRow(context.Background(), `SELECT 1`).Scan(&n)
		_, _ = w.Write([]byte("ok"))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	header := rec.Header().Get("Server-Timing")
	n, ms, ok := querytrace.ParseServerTiming(header)
	if !ok || n != 5 || ms <= 0 {
		t.Errorf("Server-Timing %q read as %d queries, %.3f ms, ok %v; want 5 queries", header, n, ms, ok)
	}
}

// Explain gives a custom and a generic plan with their timings, and leaves a writing statement's
// change rolled back.
func TestExplainPlansAndRollsBack(t *testing.T) {
	t.Parallel()
	pool := tracedPool(t)
	ctx, stats := querytrace.NewContext(context.Background(), true)
	if _, err := pool.Exec(ctx, `UPDATE site_settings SET site_name = $1`, "Explained"); err != nil {
		t.Fatal(err)
	}
	sts := stats.Statements()
	if len(sts) != 1 || len(sts[0].Args) != 1 {
		t.Fatalf("recorded %+v", sts)
	}
	if _, err := pool.Exec(context.Background(), `UPDATE site_settings SET site_name = 'Before'`); err != nil {
		t.Fatal(err)
	}
	ex, err := querytrace.Explain(context.Background(), pool, sts[0])
	if err != nil {
		t.Fatal(err)
	}
	if !ex.HasGeneric || ex.Custom.Execution <= 0 || ex.Generic.Execution <= 0 || !strings.Contains(ex.Custom.Text, "Update on site_settings") {
		t.Errorf("explained: %+v", ex)
	}
	var name string
	if err := pool.QueryRow(context.Background(), `SELECT site_name FROM site_settings`).Scan(&name); err != nil || name != "Before" {
		t.Errorf("after Explain the site is named %q (%v), want the update rolled back", name, err)
	}
}
