package querytrace

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Plan is what EXPLAIN (ANALYZE, BUFFERS) said about one execution of a statement.
type Plan struct {
	Planning  time.Duration
	Execution time.Duration
	Text      string
}

// Explained is a statement's custom plan (planned for its arguments, what the first executions of
// a prepared statement get) and its generic plan (what PostgreSQL may switch to after five
// executions, when it does not look costlier). HasGeneric is false for statements without
// parameters, whose only plan is the custom one.
type Explained struct {
	Custom     Plan
	Generic    Plan
	HasGeneric bool
}

// Explain runs st under EXPLAIN (ANALYZE, BUFFERS) inside a transaction that is rolled back, so a
// statement that writes (a page marking posts read) changes nothing.
func Explain(ctx context.Context, pool *pgxpool.Pool, st Statement) (Explained, error) {
	var out Explained
	tx, err := pool.Begin(ctx)
	if err != nil {
		return out, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if out.Custom, err = explainText(ctx, tx, "EXPLAIN (ANALYZE, BUFFERS) "+st.SQL, st.Args); err != nil {
		return out, fmt.Errorf("custom plan: %w", err)
	}
	if len(st.Args) == 0 {
		return out, nil
	}
	const name = "stoa_querytrace_explain"
	sd, err := tx.Conn().Prepare(ctx, name, st.SQL)
	if err != nil {
		return out, fmt.Errorf("prepare: %w", err)
	}
	defer func() { _ = tx.Conn().Deallocate(context.WithoutCancel(ctx), name) }()
	rows, err := tx.Query(ctx, `SELECT format_type(o, NULL) FROM unnest($1::oid[]) WITH ORDINALITY AS x(o, n) ORDER BY n`, sd.ParamOIDs)
	if err != nil {
		return out, err
	}
	types, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return out, err
	}
	// EXECUTE's arguments inside EXPLAIN are not parameters the protocol can bind (a utility
	// statement declares none), so they go in as literals, each made by PostgreSQL from the value.
	quoted := make([]string, len(types))
	for i, t := range types {
		quoted[i] = "quote_nullable($" + strconv.Itoa(i+1) + "::" + t + "::text) || '::" + t + "'"
	}
	params := make([]string, len(types))
	ptrs := make([]any, len(types))
	for i := range params {
		ptrs[i] = &params[i]
	}
	if err := tx.QueryRow(ctx, "SELECT "+strings.Join(quoted, ", "), st.Args...).Scan(ptrs...); err != nil {
		return out, fmt.Errorf("quote arguments: %w", err)
	}
	if _, err := tx.Exec(ctx, `SET LOCAL plan_cache_mode = force_generic_plan`); err != nil {
		return out, err
	}
	if out.Generic, err = explainText(ctx, tx, "EXPLAIN (ANALYZE, BUFFERS) EXECUTE "+name+"("+strings.Join(params, ", ")+")", nil); err != nil {
		return out, fmt.Errorf("generic plan: %w", err)
	}
	out.HasGeneric = true
	return out, nil
}

var timingLine = regexp.MustCompile(`^(Planning|Execution) Time: ([0-9.]+) ms$`)

func explainText(ctx context.Context, tx pgx.Tx, sql string, args []any) (Plan, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return Plan{}, err
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return Plan{}, err
	}
	p := Plan{Text: strings.Join(lines, "\n")}
	for _, l := range lines {
		m := timingLine.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			continue
		}
		ms, _ := strconv.ParseFloat(m[2], 64)
		d := time.Duration(ms * float64(time.Millisecond))
		if m[1] == "Planning" {
			p.Planning = d
		} else {
			p.Execution = d
		}
	}
	return p, nil
}
