package forum_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
	"github.com/stoa-forum/stoa/internal/testdb"
)

// Only a context marked WithDeferredCommit runs its transactions without waiting for the WAL
// flush, and only those transactions: the setting is local, so the connection's next
// transaction waits again.
func TestDeferredCommitOnlyWhereAsked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// One connection with synchronous commit on, as in production (test databases turn it off).
	cfg, err := pgxpool.ParseConfig(testdb.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1
	cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	f := forumtest.NewOn(t, pool, forum.Options{})
	mode := func(ctx context.Context) string {
		t.Helper()
		var s string
		if err := f.InTx(ctx, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT current_setting('synchronous_commit')`).Scan(&s)
		}); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if got := mode(ctx); got != "on" {
		t.Fatalf("a plain transaction runs with synchronous_commit %q, want on", got)
	}
	if got := mode(forum.WithDeferredCommit(ctx)); got != "off" {
		t.Fatalf("a deferred-commit transaction runs with synchronous_commit %q, want off", got)
	}
	if got := mode(ctx); got != "on" {
		t.Fatalf("the next transaction on the connection runs with synchronous_commit %q, want on again", got)
	}
}
