package forum_test

import (
	"context"
	"net/url"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
	"github.com/stoa-forum/stoa/internal/markup"
)

// domainFixture is a forum with federation's host canonicalisation (as cmd/stoa wires it), a
// category, members of each role, and helpers that stand in for the inbox: remote actors, their
// threads, replies, likes and follows.
type domainFixture struct {
	f     *forum.Forum
	pool  *pgxpool.Pool
	ctx   context.Context
	cat   forum.Category
	alice forum.Member
	bob   forum.Member
	mod   forum.Member
	admin forum.Member
	jobs  *queuedJobs
}

func newDomainFixture(t *testing.T) *domainFixture {
	t.Helper()
	base, _ := url.Parse("https://forum.example")
	jobs := &queuedJobs{}
	f, pool := forumtest.New(t, forum.Options{Markup: markup.New(markup.Options{BaseURL: base}), Jobs: jobs,
		CanonicalHost: federation.CanonicalHost})
	fx := &domainFixture{f: f, pool: pool, ctx: context.Background(), jobs: jobs}
	var err error
	if fx.cat, err = f.CreateCategory(fx.ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"}); err != nil {
		t.Fatal(err)
	}
	fx.alice = forumtest.Member(t, f, "alice", forum.RoleMember)
	fx.bob = forumtest.Member(t, f, "bob", forum.RoleMember)
	fx.mod = forumtest.Member(t, f, "molly", forum.RoleModerator)
	fx.admin = forumtest.Member(t, f, "ada", forum.RoleAdmin)
	return fx
}

// remote stores a remote person (or group) as a fetch from its origin would.
func (fx *domainFixture) remote(t *testing.T, kind forum.ActorKind, host, user string) forum.Actor {
	t.Helper()
	id := "https://" + host + "/users/" + user
	a, err := fx.f.UpsertRemoteActor(fx.ctx, forum.RemoteActor{APID: id, Kind: kind, Username: user, Domain: host,
		InboxURL: id + "/inbox", SharedInboxURL: "https://" + host + "/inbox"})
	if err != nil {
		t.Fatalf("remote actor %s@%s: %v", user, host, err)
	}
	return a
}

func (fx *domainFixture) remoteThread(t *testing.T, author forum.Actor, title, html string) (int64, int64) {
	t.Helper()
	th, p, err := fx.f.StoreRemoteThread(fx.ctx, fx.cat.ID, author.ID, title, html, author.APID+"/posts/"+title)
	if err != nil {
		t.Fatal(err)
	}
	return th, p
}

func (fx *domainFixture) remoteReply(t *testing.T, author forum.Actor, threadID int64, html string) int64 {
	t.Helper()
	id, err := fx.f.StoreRemoteReply(fx.ctx, threadID, author.ID, html, author.APID+"/replies/"+html)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (fx *domainFixture) remoteFollows(t *testing.T, follower forum.Actor, targetID int64) forum.Follow {
	t.Helper()
	fo, err := fx.f.AddRemoteFollower(fx.ctx, forum.RemoteFollow{FollowerID: follower.ID, TargetID: targetID,
		APID: follower.APID + "/follows/" + itoa(targetID)})
	if err != nil {
		t.Fatal(err)
	}
	return fo
}

// follows makes a member follow a remote actor, accepted.
func (fx *domainFixture) follows(t *testing.T, m forum.Member, target forum.Actor) forum.Follow {
	t.Helper()
	fo, err := fx.f.FollowRemote(fx.ctx, m.Viewer(), target.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fo, err = fx.f.SettleOwnFollow(fx.ctx, target.ID, *fo.FollowActivityID, true); err != nil {
		t.Fatal(err)
	}
	return fo
}

func (fx *domainFixture) thread(t *testing.T, by forum.Member, title, body string) (forum.Thread, forum.Post) {
	t.Helper()
	th, p, err := fx.f.CreateThread(fx.ctx, by.Viewer(), forum.NewThread{CategoryID: fx.cat.ID, Title: title, Body: body})
	if err != nil {
		t.Fatalf("create thread %q: %v", title, err)
	}
	return th, p
}

// block applies an admin block and fails the test on error.
func (fx *domainFixture) block(t *testing.T, in forum.DomainBlockInput) forum.DomainPolicyResult {
	t.Helper()
	res, err := fx.f.BlockDomain(fx.ctx, fx.admin.Viewer(), in)
	if err != nil {
		t.Fatalf("block %s: %v", in.Domain, err)
	}
	return res
}

// latestIDs lists the thread ids of the latest list as v sees it.
func (fx *domainFixture) latestIDs(t *testing.T, v forum.Viewer) []int64 {
	t.Helper()
	list, err := fx.f.LatestThreads(fx.ctx, v, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, s := range list.Threads {
		ids = append(ids, s.ID)
	}
	return ids
}

func (fx *domainFixture) categoryIDs(t *testing.T, v forum.Viewer) []int64 {
	t.Helper()
	list, err := fx.f.CategoryThreads(fx.ctx, v, fx.cat, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, s := range append(list.Pinned, list.Threads...) {
		ids = append(ids, s.ID)
	}
	return ids
}

// postOnPage returns the post with the given id from its thread's first page, as v sees it.
func (fx *domainFixture) postOnPage(t *testing.T, v forum.Viewer, threadID, postID int64) forum.Post {
	t.Helper()
	page, err := fx.f.ThreadPageOf(fx.ctx, v, threadID, 1)
	if err != nil {
		t.Fatalf("thread %d page 1: %v", threadID, err)
	}
	for _, p := range page.Posts {
		if p.ID == postID {
			return p
		}
	}
	t.Fatalf("post %d is not on page 1 of thread %d", postID, threadID)
	return forum.Post{}
}

func (fx *domainFixture) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := fx.pool.QueryRow(fx.ctx, sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// logActions lists the moderation log's actions about a domain, oldest first.
func (fx *domainFixture) logActions(t *testing.T, domain string) []string {
	t.Helper()
	rows, err := fx.pool.Query(fx.ctx, `SELECT action FROM moderation_log WHERE domain = $1 ORDER BY id`, domain)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

func has(ids []int64, id int64) bool { return slices.Contains(ids, id) }
