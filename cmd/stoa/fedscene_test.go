package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/fedtest"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// fedScene is a database set up for an outgoing-federation test of the real binary: a category,
// an author with an API token, remote followers on loopback sinks (each its own host name through
// STOA_UNSAFE_HOST_MAP), and, once served, the address `stoa serve` listens on.
type fedScene struct {
	t       *testing.T
	ctx     context.Context
	dbURL   string
	pool    *pgxpool.Pool
	setup   *forum.Forum // the same database without a Federator: setting up publishes nothing
	cat     forum.Category
	author  forum.Member
	token   string
	addr    string
	base    string
	sinks   map[string]*fedtest.Sink
	hostMap []string
	keys    fedtest.KeyFunc
}

func newFedScene(t *testing.T, dbURL string) *fedScene {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	sc := &fedScene{t: t, ctx: ctx, dbURL: dbURL, pool: pool, setup: forumtest.NewOn(t, pool, forum.Options{}),
		sinks: map[string]*fedtest.Sink{}}
	sc.keys = fedtest.FetchKeys(&http.Client{}, func(keyID string) string { return keyID })
	if sc.cat, err = sc.setup.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"}); err != nil {
		t.Fatal(err)
	}
	sc.author = forumtest.Member(t, sc.setup, "alice", forum.RoleMember)
	if _, sc.token, err = sc.setup.CreateAccessToken(ctx, sc.author.Viewer(), sc.author.ID, "test"); err != nil {
		t.Fatal(err)
	}
	return sc
}

// sink starts a sink for a host and maps the host to it.
func (sc *fedScene) sink(host string) *fedtest.Sink {
	s := fedtest.NewSink(host, sc.keys)
	sc.t.Cleanup(s.Close)
	sc.sinks[host] = s
	sc.hostMap = append(sc.hostMap, host+"="+s.Addr())
	return s
}

// follower stores a remote actor on host following the category (shared: with the host's shared
// inbox) and returns the inbox deliveries to it use.
func (sc *fedScene) follower(host, user string, shared bool) string {
	sc.t.Helper()
	id := "http://" + host + "/users/" + user
	in := forum.RemoteActor{APID: id, Kind: forum.ActorPerson, Username: user, Domain: host, InboxURL: id + "/inbox"}
	inbox := in.InboxURL
	if shared {
		in.SharedInboxURL = "http://" + host + "/inbox"
		inbox = in.SharedInboxURL
	}
	a, err := sc.setup.UpsertRemoteActor(sc.ctx, in)
	if err != nil {
		sc.t.Fatal(err)
	}
	if _, err := sc.setup.AddRemoteFollower(sc.ctx, forum.RemoteFollow{FollowerID: a.ID, TargetID: sc.cat.ActorID, APID: id + "/follow"}); err != nil {
		sc.t.Fatal(err)
	}
	return inbox
}

// serve starts `stoa serve` on the scene's database and address with extra settings.
func (sc *fedScene) serve(extra ...string) (*exec.Cmd, *lockedBuffer) {
	sc.t.Helper()
	if sc.addr == "" {
		// Chosen after the sinks listen, so none of them takes it; kept across restarts, since
		// every id derives from it.
		sc.addr = freePort(sc.t)
		sc.base = "http://" + sc.addr
	}
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(),
		"STOA_DATABASE_URL="+sc.dbURL, "STOA_SECRET_KEY="+string(forumtest.Secret), "STOA_LISTEN="+sc.addr,
		"STOA_METRICS_LISTEN=off", "STOA_PUBLIC_URL="+sc.base, "STOA_UNSAFE_LOCAL_FEDERATION=1",
		"STOA_UNSAFE_HOST_MAP="+strings.Join(sc.hostMap, ","), "STOA_LOG_LEVEL=warn")
	cmd.Env = append(cmd.Env, extra...)
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		sc.t.Fatal(err)
	}
	sc.t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	waitReady(sc.t, sc.base, logs)
	return cmd, logs
}

// postThread starts a thread through the JSON API, as the author.
func (sc *fedScene) postThread(title, body string) {
	sc.t.Helper()
	if status, _ := sc.apiPost("/api/v1/categories/general/threads", fmt.Sprintf(`{"title":%q,"body":%q}`, title, body)); status != http.StatusCreated {
		sc.t.Fatalf("POST thread: %d", status)
	}
}

// reply posts a reply to a thread through the JSON API, as the author.
func (sc *fedScene) reply(threadID int64, body string, logs *lockedBuffer) {
	sc.t.Helper()
	if status, answer := sc.apiPost(fmt.Sprintf("/api/v1/threads/%d/posts", threadID), fmt.Sprintf(`{"body":%q}`, body)); status != http.StatusCreated {
		sc.t.Fatalf("reply %q: %d %s\nlogs:\n%s", body, status, answer, logs.String())
	}
}

// apiPost POSTs JSON to the served API with the author's token; it returns the status and body.
func (sc *fedScene) apiPost(path, json string) (int, []byte) {
	sc.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, sc.base+path, strings.NewReader(json))
	req.Header.Set("Authorization", "Bearer "+sc.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		sc.t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, answer
}
