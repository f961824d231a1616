package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/testdb"
)

// While the database is away, a guest is shown the last copy kept of a page, marked stale, rather
// than an error, if nothing had changed it before the listener was lost; a copy a change had made
// stale (here a reply; a moderator's hiding a post is the same), a page never kept, and every
// member's page, is the 503 it is. When the database is back, pages are made afresh and kept
// again.
func TestAGuestGetsTheLastCopyOfAPageWhileTheDatabaseIsAway(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	fx.listen(t)
	th, _ := fx.thread(t, fx.alice, "Kept through the outage", "the opener")
	changed, _ := fx.thread(t, fx.alice, "Changed before the outage", "the opener")
	path, changedPath := "/t/"+itoa(th.ID), "/t/"+itoa(changed.ID)
	for _, p := range []string{path, changedPath} {
		waitFor(t, p+" kept", func() bool { return cacheState(fx.get(t, forum.Guest, p)) == "hit" })
	}
	// A reply made here is heard before it returns (forum's catch-up): the copy of its thread's
	// page kept before it is stale from then on, and nothing asks for the page again.
	fx.reply(t, fx.bob, changed.ID, "a late word")

	var db string
	if err := fx.pool.QueryRow(fx.ctx, `SELECT current_database()`).Scan(&db); err != nil {
		t.Fatal(err)
	}
	admin, err := testdb.AdminURL()
	if err != nil {
		t.Fatal(err)
	}
	setConnections := func(allow bool) {
		t.Helper()
		conn, err := pgx.Connect(context.Background(), admin)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), `ALTER DATABASE `+pgx.Identifier{db}.Sanitize()+` ALLOW_CONNECTIONS `+map[bool]string{true: "true", false: "false"}[allow]); err != nil {
			t.Fatal(err)
		}
		if !allow {
			if _, err := conn.Exec(context.Background(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, db); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The database goes away: its sessions end (the listener's among them), and no new one opens.
	setConnections(false)
	t.Cleanup(func() { setConnections(true) })
	// The listener notices, then fails to reconnect (a second error), as in any outage longer than
	// its first wait: what was current when it was lost must still be what counts.
	waitFor(t, "the listener to fail to reconnect", func() bool {
		_, live := fx.f.PageGeneration()
		return !live && fx.listenerErrors.Load() >= 2
	})

	rec := fx.get(t, forum.Guest, path)
	if rec.Code != http.StatusOK || cacheState(rec) != "stale" || !strings.Contains(rec.Body.String(), "Kept through the outage") {
		t.Fatalf("a kept page while the database is away: %d %q\n%s", rec.Code, cacheState(rec), rec.Body.String())
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("a stale page may be kept downstream: Cache-Control %q", cc)
	}
	if rec := fx.get(t, forum.Guest, changedPath); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("a page whose copy a change had made stale before the outage: %d %q, want 503", rec.Code, cacheState(rec))
	}
	if rec := fx.get(t, forum.Guest, "/latest"); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("a page never kept: %d, want 503", rec.Code)
	}
	if rec := fx.get(t, fx.bob.Viewer(), path); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("a member's page while the database is away: %d, want 503", rec.Code)
	}

	setConnections(true)
	waitFor(t, "the listener to come back", func() bool { _, live := fx.f.PageGeneration(); return live })
	waitFor(t, "the page made afresh and kept again", func() bool {
		rec := fx.get(t, forum.Guest, path)
		return rec.Code == http.StatusOK && cacheState(rec) == "hit"
	})
}
