package e2e

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stoa-forum/stoa/internal/stoaproc"
)

// A real stoa serve keeps a signed-in member's list for them, shows their reading at once when
// they read a thread, and drops their copy when their reading changes in another database session
// (as another process's would) as soon as PostgreSQL's notification comes.
func TestAMembersPagesOfARealServerFollowTheirReading(t *testing.T) {
	t.Parallel()
	cluster := stoaproc.NewCluster(t, nil, stoaproc.Options{Host: "members.test"})
	in := cluster.Instances["members.test"]
	in.Admin("category", "create", "--slug", "general", "--title", "General")
	alice := newMember(t, cluster, in, "alice")
	newMember(t, cluster, in, "bob")
	th := alice.startThread("general", "Kept for bob", "The opener.")
	alice.reply(th.ID, 0, "A reply bob has not read.")

	bob := cluster.Client()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	bob.Jar = jar
	form := url.Values{"login": {"bob"}, "password": {"bob's long password"}}
	req, err := http.NewRequest(http.MethodPost, in.URL+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", in.URL)
	resp, err := bob.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	get := func(path string) (cache, body string) {
		t.Helper()
		resp, err := bob.Get(in.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
		}
		return resp.Header.Get("X-Stoa-Cache"), string(b)
	}
	unread := `data-testid="unread-count">2`
	waitFor := func(what string, ok func(cache, body string) bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if ok(get("/c/general")) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("gave up waiting for %s", what)
			}
		}
	}
	waitFor("bob's list, with his two unread posts, from the cache", func(cache, body string) bool {
		return cache == "hit" && strings.Contains(body, unread) && strings.Contains(body, `data-testid="nav-me">bob<`)
	})

	get("/t/" + strconv.FormatInt(th.ID, 10)) // reading the thread records both posts read
	if cache, body := get("/c/general"); cache != "miss" || strings.Contains(body, `data-testid="unread-count"`) {
		t.Fatalf("bob's list right after reading the thread: %q, still unread %v", cache, strings.Contains(body, `data-testid="unread-count"`))
	}
	// Wait until the copy has stayed kept for a second, so that only the change below can drop it
	// (the server's own writes, its sign-in among them, drop every kept page as they commit).
	var keptSince time.Time
	waitFor("bob's read list kept for a second", func(cache, _ string) bool {
		if cache != "hit" {
			keptSince = time.Time{}
		} else if keptSince.IsZero() {
			keptSince = time.Now()
		}
		return !keptSince.IsZero() && time.Since(keptSince) > time.Second
	})

	conn, err := pgx.Connect(context.Background(), in.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `UPDATE member_threads SET read_positions = '{}'
		WHERE thread_id = $1 AND member_id = (SELECT id FROM actors WHERE username = 'bob' AND domain IS NULL)`, th.ID); err != nil {
		t.Fatal(err)
	}
	changed := time.Now()
	waitFor("bob's list unread again after the change in psql", func(_, body string) bool { return strings.Contains(body, unread) })
	if took := time.Since(changed); took > time.Second {
		t.Fatalf("the change in psql showed after %v: not by its notification", took)
	}
}
