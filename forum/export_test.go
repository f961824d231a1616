package forum

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// PasswordChecks exposes the count of argon2id verifications to the external tests.
func PasswordChecks() int64 { return passwordChecks.Load() }

// InTx exposes inTx to the external tests (the commit mode it runs transactions with).
func (f *Forum) InTx(ctx context.Context, fn func(tx pgx.Tx) error) error { return f.inTx(ctx, fn) }

// BeforeHearing makes f's change listener call fn before it applies each notification: a slow
// listener (fn sleeps) or a stuck one (fn blocks). Set it before the listener starts.
func BeforeHearing(f *Forum, fn func()) { f.hearing = fn }

// ScanCheck is a query whose rows the hand-written scanners and RowToStructByName both read.
type ScanCheck struct {
	Name    string
	SQL     string
	Args    []any
	Reflect func(pgx.Rows) (any, error)
	Hand    func(pgx.Rows) (any, error)
}

func collectAs[T any](fn pgx.RowToFunc[T]) func(pgx.Rows) (any, error) {
	return func(rows pgx.Rows) (any, error) { return pgx.CollectRows(rows, fn) }
}

// ScanChecks are the statements scan.go's functions read, over a whole seeded forum.
func ScanChecks(member int64) []ScanCheck {
	mcols, mjoins := summarySelect(true, 1)
	gcols, gjoins := summarySelect(false, 1)
	return []ScanCheck{
		{Name: "member summaries", SQL: "SELECT " + mcols + " FROM threads t" + mjoins + " ORDER BY t.id", Args: []any{member},
			Reflect: collectAs(pgx.RowToStructByName[ThreadSummary]), Hand: collectAs(scanSummary)},
		{Name: "member summaries, collected", SQL: "SELECT " + mcols + " FROM threads t" + mjoins + " ORDER BY t.id", Args: []any{member},
			Reflect: collectAs(pgx.RowToStructByName[ThreadSummary]),
			Hand:    func(rows pgx.Rows) (any, error) { return collectSummaries(rows, nil) }},
		{Name: "guest summaries", SQL: "SELECT " + gcols + " FROM threads t" + gjoins + " ORDER BY t.id",
			Reflect: collectAs(pgx.RowToStructByName[ThreadSummary]), Hand: collectAs(scanSummary)},
		{Name: "posts", SQL: "SELECT " + postColumns(1) + " FROM posts p" + authorProbe("p.author_id") + " ORDER BY p.id LIMIT 2000",
			Args: []any{member}, Reflect: collectAs(pgx.RowToStructByName[Post]), Hand: collectAs(scanPost)},
		{Name: "posts, collected", SQL: "SELECT " + postColumns(1) + " FROM posts p" + authorProbe("p.author_id") + " ORDER BY p.id LIMIT 2000",
			Args: []any{member}, Reflect: collectAs(pgx.RowToStructByName[Post]), Hand: func(rows pgx.Rows) (any, error) { return collectPosts(rows, 32) }},
		{Name: "actors", SQL: "SELECT " + actorColumns + " FROM actors a ORDER BY a.id",
			Reflect: collectAs(pgx.RowToStructByName[Actor]), Hand: collectAs(scanActor)},
		{Name: "thread views", SQL: "SELECT " + threadColumns + ", " + authorColumns + " FROM threads t JOIN actors au ON au.id = t.author_id ORDER BY t.id",
			Reflect: collectAs(pgx.RowToStructByName[ThreadView]), Hand: collectAs(scanThreadView)},
	}
}
