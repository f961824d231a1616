package inbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
	"github.com/stoa-forum/stoa/internal/jobtest"
	"github.com/stoa-forum/stoa/internal/mailer"
	"github.com/stoa-forum/stoa/internal/markup"
	"github.com/stoa-forum/stoa/internal/notify"
)

// peerHosts are the remote servers tests may use; each resolves to the peers' loopback listener.
var peerHosts = []string{"masto.test", "gts.test", "lemmy.test", "lemmy-b.test", "nodebb.test", "misskey.test",
	"other.test", "evil.test", "sub.evil.test", "mod.test"}

// harness is Stoa at http://forum.test with its inbox on a real HTTP server (loopback), its apply
// jobs in a real River client on its own test database, and remote servers on loopback that serve
// actors and objects under their own host names. Nothing is faked but DNS. The forum has no
// Federator: what it would publish is recorded in the activities table, which tests read.
type harness struct {
	t     *testing.T
	ctx   context.Context
	f     *forum.Forum
	pool  *pgxpool.Pool
	fed   *federation.Federation
	ib    *Inbox
	queue *jobtest.Queue
	// workers are every worker the harness's River clients run.
	workers *river.Workers
	srv     *httptest.Server
	peers   *peers
	policy  *testPolicy
	cat     forum.Category
	alice   forum.Member
	bob     forum.Member
	thread  forum.Thread
	opener  forum.Post
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// harnessConfig is what options change about a harness.
type harnessConfig struct {
	inbox []func(*Options)
	// strict leaves federation in its production mode: https only, no loopback addresses.
	strict bool
	// deferApply queues apply jobs without working them until startApplying.
	deferApply bool
}

type harnessOption func(*harnessConfig)

func withInbox(f func(*Options)) harnessOption {
	return func(c *harnessConfig) { c.inbox = append(c.inbox, f) }
}

func newHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	var cfg harnessConfig
	for _, opt := range opts {
		opt(&cfg)
	}
	h := &harness{t: t, ctx: context.Background(), peers: newPeers(t), policy: newTestPolicy()}
	hostMap := map[string]string{}
	for _, host := range peerHosts {
		hostMap[host] = h.peers.addr()
	}
	if cfg.strict {
		hostMap = nil
	}
	public, _ := url.Parse("http://forum.test")
	jobs := &jobtest.Jobs{}
	h.f, h.pool = forumtest.New(t, forum.Options{Jobs: jobs, Markup: markup.New(markup.Options{BaseURL: public})})
	var err error
	h.fed, err = federation.New(federation.Config{Forum: h.f, PublicURL: public, UnsafeLocal: !cfg.strict, HostMap: hostMap,
		Policy: h.policy, Log: quietLog(), Software: federation.Software{Version: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Forum: h.f, Federation: h.fed, Policy: h.policy, Log: quietLog(), Workers: 4}
	for _, f := range cfg.inbox {
		f(&o)
	}
	if h.ib, err = New(o); err != nil {
		t.Fatal(err)
	}
	h.workers = river.NewWorkers()
	h.ib.AddWorkers(h.workers)
	river.AddWorker(h.workers, &notify.Worker{Forum: h.f, PublicURL: public, Log: quietLog()})
	river.AddWorker(h.workers, &mailer.Worker{Log: quietLog()})
	river.AddWorker(h.workers, &federation.ProbeDomainWorker{Fetcher: h.fed.Fetcher, Forum: h.f, Log: quietLog()})
	river.AddWorker(h.workers, &federation.RefreshActorWorker{Actors: h.fed.Actors, Log: quietLog()})
	if cfg.deferApply {
		h.queue = jobtest.Start(t, h.pool, h.workers)
	} else {
		h.queue = jobtest.Start(t, h.pool, h.workers, h.ib.Queues())
	}
	jobs.Client = h.queue.Client
	h.ib.Use(h.queue.Client)
	t.Cleanup(h.ib.Close) // before the River client stops (cleanups run last first)
	h.srv = httptest.NewServer(h.ib)
	t.Cleanup(h.srv.Close)

	if h.cat, err = h.f.CreateCategory(h.ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"}); err != nil {
		t.Fatal(err)
	}
	// The instance actor signs every fetch; made now, so that snapshots do not count it.
	if _, err := h.f.InstanceActor(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.alice = forumtest.Member(t, h.f, "alice", forum.RoleMember)
	h.bob = forumtest.Member(t, h.f, "bob", forum.RoleMember)
	if h.thread, h.opener, err = h.f.CreateThread(h.ctx, h.alice.Viewer(), forum.NewThread{CategoryID: h.cat.ID,
		Title: "Hand tools", Body: "Which plane should I buy first?"}); err != nil {
		t.Fatal(err)
	}
	return h
}

// startApplying starts working the apply queue of a harness made with deferApply.
func (h *harness) startApplying() {
	h.t.Helper()
	jobtest.Start(h.t, h.pool, h.workers, h.ib.Queues())
}

// testPolicy blocks domains and their subdomains, and refuses reports from some.
type testPolicy struct {
	mu        sync.Mutex
	blocked   map[string]bool
	noReports map[string]bool
}

func newTestPolicy() *testPolicy {
	return &testPolicy{blocked: map[string]bool{}, noReports: map[string]bool{}}
}

func (p *testPolicy) block(host string) {
	p.mu.Lock()
	p.blocked[host] = true
	p.mu.Unlock()
}

func (p *testPolicy) Blocked(_ context.Context, host string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for h := host; h != ""; {
		if p.blocked[h] {
			return true
		}
		_, rest, ok := strings.Cut(h, ".")
		if !ok {
			break
		}
		h = rest
	}
	return false
}

func (p *testPolicy) ReportsRejected(_ context.Context, host string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.noReports[host]
}

// iri is the id of a local thing, from a path.
func (h *harness) iri(path string) string { return "http://forum.test" + path }

func (h *harness) postIRI(id int64) string { return h.iri(fmt.Sprintf("/p/%d", id)) }

// send POSTs body to an inbox path of Stoa, signed as sig says (nil: unsigned), after applying
// the changes to the request (made after signing, to tamper with it). It returns the status and
// the answer's body.
func (h *harness) send(path string, body []byte, sig *signature, changes ...func(*http.Request)) (int, string) {
	h.t.Helper()
	status, msg, _ := h.sendFull(path, body, sig, changes...)
	return status, msg
}

// sendFull is send, with the answer's headers.
func (h *harness) sendFull(path string, body []byte, sig *signature, changes ...func(*http.Request)) (int, string, http.Header) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Host = "forum.test"
	req.Header.Set("Content-Type", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
	if sig != nil {
		sig.sign(req, body)
	}
	for _, c := range changes {
		c(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(msg), resp.Header
}

// deliver sends an activity signed by its actor to the shared inbox and expects 202.
func (h *harness) deliver(from *remoteActor, body []byte) {
	h.t.Helper()
	sig := from.signature()
	if status, msg := h.send("/inbox", body, &sig); status != http.StatusAccepted {
		h.t.Fatalf("delivery answered %d: %s", status, msg)
	}
}

// settle waits until every recorded activity is applied and no job of any queue is due: what the
// inbox accepted has had all its effects, notifications included.
func (h *harness) settle() {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var busy int
		err := h.pool.QueryRow(h.ctx, `SELECT (SELECT count(*) FROM inbound_activities WHERE applied_at IS NULL)
			+ (SELECT count(*) FROM river_job WHERE state IN ('available', 'running', 'pending')
				OR (state IN ('scheduled', 'retryable') AND scheduled_at < now() + interval '3 seconds'))`).Scan(&busy)
		if err != nil {
			h.t.Fatal(err)
		}
		if busy == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatal("the inbox did not settle in 30 s")
}

// count runs a count query.
func (h *harness) count(sql string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.pool.QueryRow(h.ctx, sql, args...).Scan(&n); err != nil {
		h.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// stateTables are what an inbound activity can change; snapshot counts their rows.
var stateTables = []string{"inbound_activities", "actors", "threads", "posts", "likes", "post_boosts", "follows", "reports",
	"activities", "remote_tombstones", "remote_blocks", "categories", "post_edits", "moderation_log", "notifications"}

// snapshot counts the rows of every table an activity could change.
func (h *harness) snapshot() map[string]int {
	h.t.Helper()
	out := map[string]int{}
	for _, table := range stateTables {
		out[table] = h.count("SELECT count(*) FROM " + table)
	}
	return out
}

// unchanged fails unless every table has the rows it had: nothing stored, nothing to send.
func (h *harness) unchanged(before map[string]int) {
	h.t.Helper()
	after := h.snapshot()
	for _, table := range stateTables {
		if before[table] != after[table] {
			h.t.Errorf("%s went from %d to %d rows", table, before[table], after[table])
		}
	}
}

// unchangedExcept is unchanged for every table but the ones named (an activity that was
// recorded and had no effect leaves its inbound_activities row; a first contact stores the actor).
func (h *harness) unchangedExcept(before map[string]int, tables ...string) {
	h.t.Helper()
	after := h.snapshot()
	for _, table := range stateTables {
		if before[table] != after[table] && !slices.Contains(tables, table) {
			h.t.Errorf("%s went from %d to %d rows", table, before[table], after[table])
		}
	}
}

// mustActor resolves an actor id (local or remote) to its row.
func mustActor(t *testing.T, h *harness, id string) forum.Actor {
	t.Helper()
	a, err := h.fed.Actors.Resolve(h.ctx, id)
	if err != nil {
		t.Fatalf("actor %s: %v", id, err)
	}
	return a
}

// outcome is the recorded outcome of an applied activity.
func (h *harness) outcome(apID string) string {
	h.t.Helper()
	var out string
	var applied *time.Time
	if err := h.pool.QueryRow(h.ctx, `SELECT outcome, applied_at FROM inbound_activities WHERE ap_id = $1`, apID).Scan(&out, &applied); err != nil {
		h.t.Fatalf("inbound %s: %v", apID, err)
	}
	if applied == nil {
		h.t.Fatalf("inbound %s is not applied", apID)
	}
	return out
}

// fixture reads a payload from testdata/, with ${NAME} placeholders replaced from vars (the ids
// of things made during the test).
func fixture(t *testing.T, name string, vars map[string]string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for k, v := range vars {
		s = strings.ReplaceAll(s, "${"+k+"}", v)
	}
	if i := strings.Index(s, "${"); i >= 0 {
		t.Fatalf("%s: placeholder %s left", name, s[i:min(len(s), i+20)])
	}
	return compact(t, []byte(s))
}

// postByAPID loads a stored remote post as a guest sees it.
func (h *harness) postByAPID(apID string) forum.Post {
	h.t.Helper()
	place, err := h.f.PostPlaceByAPID(h.ctx, apID)
	if err != nil {
		h.t.Fatalf("post %s: %v", apID, err)
	}
	p, err := h.f.PostByID(h.ctx, forumtest.Admin, place.PostID)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// memberFollows makes a member follow a remote actor, and the actor accept, as it would: the
// member's Follow is recorded by the forum, the Accept comes through the inbox.
func (h *harness) memberFollows(m forum.Member, remote *remoteActor) forum.Follow {
	h.t.Helper()
	target := mustActor(h.t, h, remote.id)
	fo, err := h.f.FollowRemote(h.ctx, m.Viewer(), target.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	follow := h.iri(fmt.Sprintf("/activities/%d", *fo.FollowActivityID))
	h.deliver(remote, activity(map[string]any{"id": remote.id + "/accepts/" + fmt.Sprint(fo.ID), "type": "Accept",
		"actor": remote.id, "object": map[string]any{"id": follow, "type": "Follow", "actor": h.iri("/u/" + m.Username),
			"object": remote.id}}))
	h.settle()
	if fo, err = h.f.FollowByID(h.ctx, fo.ID); err != nil || fo.State != forum.FollowAccepted {
		h.t.Fatalf("the follow of %s is %q (%v)", remote.id, fo.State, err)
	}
	return fo
}

// extractObject is the object embedded in an activity, as its own document (what the object's
// origin serves at its id when Stoa fetches it instead of trusting the copy).
func extractObject(t *testing.T, body []byte) []byte {
	t.Helper()
	var doc struct {
		Object json.RawMessage `json:"object"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || len(doc.Object) == 0 || doc.Object[0] != '{' {
		t.Fatalf("no embedded object in %s (%v)", body, err)
	}
	return doc.Object
}
