package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/fedtest"
	"github.com/stoa-forum/stoa/internal/testdb"
)

// A database that drops every connection (a restart, a failover) leaves `stoa serve` serving as
// before, with nothing stale and nothing lost: its pool replaces the connections, its change
// listener reconnects and the page caches, off while it was away, come back in step with what
// changed meanwhile, and River runs jobs again (a reply posted after the cut still reaches a
// follower's server).
func TestServeRidesOutItsDatabaseDroppingEveryConnection(t *testing.T) {
	t.Parallel()
	sc := newFedScene(t, testdb.NewURL(t))
	// A forum follows the category: forums get its replies (FEDERATION.md, Distribution).
	peer := sc.sink("peer.test")
	sc.follower("peer.test", "pat", true)
	if err := sc.setup.SetDomainSoftware(sc.ctx, "peer.test", "lemmy", "0.19.5"); err != nil {
		t.Fatal(err)
	}
	_, logs := sc.serve()
	sc.postThread("Before the cut", "Written while the database was up.")
	var threadID int64
	if err := sc.pool.QueryRow(sc.ctx, `SELECT id FROM threads WHERE title = 'Before the cut'`).Scan(&threadID); err != nil {
		t.Fatal(err)
	}
	sc.reply(threadID, "A reply before the cut.", logs)
	waitDelivered(t, peer, "A reply before the cut.", logs)

	// The guests' list is kept: the listener is subscribed.
	waitFor(t, "the list served from the guests' cache", func() bool {
		_, cache, _ := guestGet(t, sc.base+"/c/general")
		return cache == "hit"
	}, logs)

	cut := cutConnections(t, sc.dbURL)
	if cut < 3 {
		t.Fatalf("the cut ended %d connections; want the server's pool, its listener and more", cut)
	}
	sc.pool.Reset() // the test's own connections went too
	// Another process writes while this one reconnects: the list it kept does not show this.
	if _, _, err := sc.setup.CreateThread(sc.ctx, sc.author.Viewer(), forum.NewThread{CategoryID: sc.cat.ID,
		Title: "Written during the cut", Body: "Another process wrote this."}); err != nil {
		t.Fatal(err)
	}
	// The first statement to meet a dead connection fails, and makes the pool drop the others:
	// the server does not fail once for each connection it kept open (20 or more).
	failed := 0
	waitFor(t, "/readyz answering 200 again", func() bool {
		resp, err := http.Get(sc.base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			failed++
		}
		return resp.StatusCode == http.StatusOK
	}, logs)
	if failed > 2 {
		t.Errorf("/readyz failed %d times after the cut before the pool recovered; want at most 2", failed)
	}
	waitFor(t, "the list showing the thread written during the cut", func() bool {
		status, _, body := guestGet(t, sc.base+"/c/general")
		return status == http.StatusOK && strings.Contains(body, "Written during the cut")
	}, logs)
	// Kept again once the listener is back, and dropped again when another process writes.
	waitFor(t, "the list served from the guests' cache again", func() bool {
		_, cache, _ := guestGet(t, sc.base+"/c/general")
		return cache == "hit"
	}, logs)
	if _, _, err := sc.setup.CreateThread(sc.ctx, sc.author.Viewer(), forum.NewThread{CategoryID: sc.cat.ID,
		Title: "Written after the cut", Body: "The listener hears of this."}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the list showing the thread written after the cut", func() bool {
		_, _, body := guestGet(t, sc.base+"/c/general")
		return strings.Contains(body, "Written after the cut")
	}, logs)

	// Writes through the API work at once, and their jobs run: the reply reaches the follower.
	sc.reply(threadID, "A reply after the cut.", logs)
	waitDelivered(t, peer, "A reply after the cut.", logs)
}

// cutConnections ends every other session on the database, as a restart would, and says how many.
func cutConnections(t *testing.T, dbURL string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// guestGet fetches a page as a guest: its status, whether it came from a page cache, its body.
func guestGet(t *testing.T, url string) (status int, cache, body string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Stoa-Cache"), string(b)
}

// waitFor polls check for up to 20 s, showing the server's logs when it never holds.
func waitFor(t *testing.T, what string, check func() bool, logs *lockedBuffer) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !check(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20 s; logs:\n%s", what, logs.String())
		}
	}
}

// waitDelivered waits until a sink has received a document carrying text.
func waitDelivered(t *testing.T, sink *fedtest.Sink, text string, logs *lockedBuffer) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%q delivered to %s", text, sink.Host), func() bool {
		for _, r := range sink.Received() {
			if strings.Contains(string(r.Body), text) {
				return true
			}
		}
		return false
	}, logs)
}
