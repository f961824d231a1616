package forum_test

import (
	"context"
	"testing"
	"time"

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
	cfg, err := pgxpool.ParseConfig(testdb.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	f, _ := syncCommitForum(t, cfg)
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

// A member's page views write (read marks, a session's touch) without waiting for the WAL flush,
// and everything else still waits. Counted by PostgreSQL itself: pg_stat_wal.wal_sync, the WAL
// flushes, which a synchronous commit of a write makes and a lazy one leaves to the WAL writer.
func TestPageViewsCommitTheirWritesLazily(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	ctx := fx.ctx
	th, _ := fx.thread(t, fx.alice, fx.cat, "Read me", "opener")
	fx.reply(t, fx.bob, th.ID, "a reply")
	ns, err := fx.f.Login(ctx, forum.LoginInput{Login: "bob", Password: forumtest.Password})
	if err != nil {
		t.Fatal(err)
	}
	// The counts below are this one connection's own statements.
	f, pool := syncCommitForum(t, fx.pool.Config())
	const views = 30
	// flushesOnce counts the WAL flushes of fn's views; pg_stat_force_next_flush makes the
	// connection publish its statistics as soon as its statement ends, so the second read sees fn's.
	flushesOnce := func(fn func() error) int64 {
		t.Helper()
		read := func() int64 {
			var n int64
			if _, err := pool.Exec(ctx, `SELECT pg_stat_force_next_flush()`); err != nil {
				t.Fatal(err)
			}
			if err := pool.QueryRow(ctx, `SELECT wal_sync FROM pg_stat_wal`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := read()
		for range views {
			if err := fn(); err != nil {
				t.Fatal(err)
			}
		}
		return read() - before
	}
	// pg_stat_wal counts the whole cluster's flushes, so the tests running beside this one add
	// theirs: the fewest of three rounds is the count (others only ever add, and a synchronous
	// path makes a flush per view in every round).
	flushes := func(fn func() error) int64 {
		t.Helper()
		fewest := int64(-1)
		for range 3 {
			if n := flushesOnce(fn); fewest < 0 || n < fewest {
				fewest = n
			}
		}
		return fewest
	}
	plain := flushes(func() error {
		_, err := pool.Exec(ctx, `UPDATE members SET last_seen_at = now() WHERE actor_id = $1`, fx.bob.ID)
		return err
	})
	if plain < views/2 {
		t.Fatalf("%d plain writes made %d WAL flushes: the count does not see synchronous commits", views, plain)
	}
	reads := flushes(func() error {
		// A page read before writes nothing unless the thread was mailed about since: mark it so
		// (lazily too), so that every view writes.
		if _, err := pool.Exec(ctx, `WITH lazy AS (SELECT set_config('synchronous_commit', 'off', true))
			UPDATE member_threads SET mailed_at = now() FROM lazy WHERE thread_id = $1 AND member_id = $2`, th.ID, fx.bob.ID); err != nil {
			return err
		}
		_, err := f.ReadThreadPage(ctx, fx.bob.Viewer(), th.ID, 1)
		return err
	})
	touches := flushes(func() error {
		// Every resume is made stale first, so each one touches the session (the stale-making
		// write commits lazily too: it is part of what is measured, and must not flush either).
		if _, err := pool.Exec(ctx, `WITH lazy AS (SELECT set_config('synchronous_commit', 'off', true))
			UPDATE sessions SET last_used_at = now() - interval '1 hour' FROM lazy WHERE id = $1`, ns.Session.ID); err != nil {
			return err
		}
		_, _, err := f.ResumeSession(ctx, ns.Token)
		return err
	})
	if reads > views/5 || touches > views/5 {
		t.Fatalf("WAL flushes made by %d of each: thread page views %d, session touches %d, plain writes %d; want a few at most (the WAL writer's) for the first two",
			views, reads, touches, plain)
	}
	var lastUsed time.Time
	if err := pool.QueryRow(ctx, `SELECT last_used_at FROM sessions WHERE id = $1`, ns.Session.ID).Scan(&lastUsed); err != nil {
		t.Fatal(err)
	}
	if time.Since(lastUsed) > time.Minute {
		t.Fatalf("the session was not touched: last used %v", lastUsed)
	}
}

// syncCommitForum is a Forum on one connection of cfg's database with synchronous commit on, as
// in production (test databases turn it off).
func syncCommitForum(t *testing.T, cfg *pgxpool.Config) (*forum.Forum, *pgxpool.Pool) {
	t.Helper()
	cfg = cfg.Copy()
	cfg.MaxConns = 1
	cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return forumtest.NewOn(t, pool, forum.Options{}), pool
}
