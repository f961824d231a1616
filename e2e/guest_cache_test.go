package e2e

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stoa-forum/stoa/internal/stoaproc"
)

// A real stoa serve keeps guests' pages in its cache, and drops them for a change made by this
// process (a reply through the API) at once and for one made by another (an UPDATE in a separate
// database session, as an administrator's psql would) as soon as PostgreSQL's notification comes.
func TestGuestPagesOfARealServerFollowChangesMadeAnywhere(t *testing.T) {
	t.Parallel()
	cluster := stoaproc.NewCluster(t, nil, stoaproc.Options{Host: "cache.test"})
	in := cluster.Instances["cache.test"]
	in.Admin("category", "create", "--slug", "general", "--title", "General")
	alice := newMember(t, cluster, in, "alice")
	th := alice.startThread("general", "Cached for guests", "The opener.")
	client := cluster.Client()
	guest := func() (cache, body string) {
		t.Helper()
		resp, err := client.Get(in.URL + "/t/" + strconv.FormatInt(th.ID, 10))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("guest GET: %d %v", resp.StatusCode, err)
		}
		return resp.Header.Get("X-Stoa-Cache"), string(b)
	}
	waitGuest := func(what string, ok func(cache, body string) bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if ok(guest()) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("gave up waiting for %s", what)
			}
		}
	}
	waitGuest("the page from the cache", func(cache, _ string) bool { return cache == "hit" })

	alice.reply(th.ID, 0, "A reply through the API.")
	if cache, body := guest(); cache != "miss" || !strings.Contains(body, "A reply through the API.") {
		t.Fatalf("right after a reply: %q, reply shown %v", cache, strings.Contains(body, "A reply through the API."))
	}
	waitGuest("the page with the reply from the cache", func(cache, _ string) bool { return cache == "hit" })

	conn, err := pgx.Connect(context.Background(), in.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `UPDATE threads SET title = 'Retitled in psql' WHERE id = $1`, th.ID); err != nil {
		t.Fatal(err)
	}
	waitGuest("the title changed in psql", func(_, body string) bool { return strings.Contains(body, "Retitled in psql") })
}
