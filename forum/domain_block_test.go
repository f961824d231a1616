package forum_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

// A suspension hides a domain's threads, posts, profiles and likes everywhere, severs follows in
// both directions and refuses new ones, without deleting anything; lifting it brings all of it
// back, the very same follow rows included.
func TestSuspendHidesEverythingAndLiftRestoresIt(t *testing.T) {
	t.Parallel()
	fx := newDomainFixture(t)
	bad := fx.remote(t, forum.ActorPerson, "bad.example", "troll")
	deep := fx.remote(t, forum.ActorPerson, "a.b.bad.example", "sock")
	good := fx.remote(t, forum.ActorPerson, "good.example", "friend")
	badThread, _ := fx.remoteThread(t, bad, "spam", "<p>buy now</p>")
	goodThread, _ := fx.remoteThread(t, good, "hello", "<p>hi there</p>")
	local, opener := fx.thread(t, fx.alice, "local talk", "what do you think about zebras")
	badReply := fx.remoteReply(t, deep, local.ID, "<p>zebras are spam</p>")
	if err := fx.f.StoreRemoteLike(fx.ctx, opener.ID, bad.ID, bad.APID+"/likes/1"); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.StoreRemoteLike(fx.ctx, opener.ID, good.ID, good.APID+"/likes/1"); err != nil {
		t.Fatal(err)
	}
	catFollow := fx.remoteFollows(t, bad, fx.cat.ActorID)
	memberFollow := fx.follows(t, fx.alice, bad)
	fx.remoteFollows(t, good, fx.cat.ActorID)

	res := fx.block(t, forum.DomainBlockInput{Domain: "BAD.Example.", Severity: forum.SeveritySuspend, PrivateComment: "spam wave"})
	if len(res.Changes) != 1 || res.Changes[0].Domain != "bad.example" || res.Changes[0].LimitAfter != forum.LimitSuspend {
		t.Fatalf("changes %+v", res.Changes)
	}
	if res.Accounts != 2 {
		t.Fatalf("%d accounts limited, want the two on bad.example and its subdomain", res.Accounts)
	}
	// Lists, for everyone (staff included: lists never show suppressed threads).
	for _, v := range []forum.Viewer{forum.Guest, fx.alice.Viewer(), fx.admin.Viewer()} {
		if ids := fx.latestIDs(t, v); has(ids, badThread) || !has(ids, goodThread) || !has(ids, local.ID) {
			t.Fatalf("latest for %q: %v (bad %d good %d)", v.Username, ids, badThread, goodThread)
		}
		if ids := fx.categoryIDs(t, v); has(ids, badThread) || !has(ids, goodThread) {
			t.Fatalf("category list for %q: %v", v.Username, ids)
		}
	}
	// The thread itself: not found but for staff.
	if _, err := fx.f.ThreadByID(fx.ctx, fx.alice.Viewer(), badThread); !errors.Is(err, forum.ErrNotFound) {
		t.Fatalf("suspended thread for a member: %v", err)
	}
	if _, err := fx.f.ThreadByID(fx.ctx, fx.mod.Viewer(), badThread); err != nil {
		t.Fatalf("suspended thread for staff: %v", err)
	}
	// A reply from a subdomain in a local thread: a placeholder, its author withheld.
	p := fx.postOnPage(t, fx.alice.Viewer(), local.ID, badReply)
	if !p.Redacted || p.Withheld != forum.LimitSuspend || p.HTML != "" || p.AuthorUsername != "" || p.AuthorDomain != "" {
		t.Fatalf("suspended reply as a member sees it: %+v", p)
	}
	if p := fx.postOnPage(t, fx.mod.Viewer(), local.ID, badReply); p.Redacted || !strings.Contains(p.HTML, "zebras are spam") {
		t.Fatalf("staff cannot review the suspended reply: %+v", p)
	}
	// Likes: only the allowed peer's counts.
	if p := fx.postOnPage(t, fx.alice.Viewer(), local.ID, opener.ID); p.LikeCount != 1 {
		t.Fatalf("like count %d, want 1 (the suspended domain's like uncounted)", p.LikeCount)
	}
	// Search.
	if res, err := fx.f.Search(fx.ctx, fx.admin.Viewer(), forum.SearchQuery{Text: "spam"}); err != nil || len(res.Hits) != 0 {
		t.Fatalf("search finds the suspended domain's posts: %d hits, %v", len(res.Hits), err)
	}
	// The ActivityPub side: the thread's collection and the post's document.
	refs, err := fx.f.ThreadPostRefs(fx.ctx, local.ID, 0, 100)
	if err != nil || len(refs) != 1 {
		t.Fatalf("context collection lists %d posts (%v), want the opener only", len(refs), err)
	}
	if fp, err := fx.f.FederatedPostByID(fx.ctx, badReply); err != nil || fp.Public {
		t.Fatalf("suspended reply is public to federation: %v %v", fp.Public, err)
	}
	// Follows, both ways: severed, and new ones refused.
	if n, _ := fx.f.CountFollowers(fx.ctx, fx.cat.ActorID); n != 1 {
		t.Fatalf("category has %d followers, want the allowed peer's only", n)
	}
	if n, _ := fx.f.CountFollowing(fx.ctx, fx.alice.ID); n != 0 {
		t.Fatalf("alice still follows %d accounts", n)
	}
	if _, err := fx.f.AddRemoteFollower(fx.ctx, forum.RemoteFollow{FollowerID: deep.ID, TargetID: fx.cat.ActorID,
		APID: deep.APID + "/follows/x"}); !errors.Is(err, forum.ErrForbidden) {
		t.Fatalf("a new follow from the suspended domain: %v", err)
	}
	if _, err := fx.f.FollowRemote(fx.ctx, fx.bob.Viewer(), bad.ID); !errors.Is(err, forum.ErrForbidden) {
		t.Fatalf("following an account on the suspended domain: %v", err)
	}
	// Nothing was deleted.
	if n := fx.count(t, `SELECT count(*) FROM posts WHERE author_id IN ($1, $2) AND deleted_at IS NULL`, bad.ID, deep.ID); n != 2 {
		t.Fatalf("%d of the domain's posts remain, want 2", n)
	}

	if _, err := fx.f.UnblockDomain(fx.ctx, fx.admin.Viewer(), "bad.example", "mistake"); err != nil {
		t.Fatal(err)
	}
	if ids := fx.latestIDs(t, forum.Guest); !has(ids, badThread) {
		t.Fatalf("lifted thread not listed: %v", ids)
	}
	if p := fx.postOnPage(t, fx.alice.Viewer(), local.ID, badReply); p.Redacted || p.AuthorUsername != "sock" {
		t.Fatalf("lifted reply: %+v", p)
	}
	if p := fx.postOnPage(t, fx.alice.Viewer(), local.ID, opener.ID); p.LikeCount != 2 {
		t.Fatalf("like count %d after the lift, want 2", p.LikeCount)
	}
	for _, fo := range []forum.Follow{catFollow, memberFollow} {
		got, err := fx.f.FollowByID(fx.ctx, fo.ID)
		if err != nil || got.State != forum.FollowAccepted || got.APID != fo.APID {
			t.Fatalf("follow %d after the lift: %+v, %v", fo.ID, got, err)
		}
	}
	if n := fx.count(t, `SELECT count(*) FROM severed_follows`); n != 0 {
		t.Fatalf("%d severed follows left after the lift", n)
	}
	if got := fx.logActions(t, "bad.example"); strings.Join(got, ",") != "block_domain,unblock_domain" {
		t.Fatalf("log: %v", got)
	}
}

// Silence keeps a domain out of every list and shows its content only to members who follow the
// author (and staff); follows are kept. Lifting it shows everything again.
func TestSilenceShowsOnlyToFollowersAndLiftRestores(t *testing.T) {
	t.Parallel()
	fx := newDomainFixture(t)
	loud := fx.remote(t, forum.ActorPerson, "loud.example", "shouter")
	th, opener := fx.remoteThread(t, loud, "shouting", "<p>LOUD NOISES</p>")
	local, _ := fx.thread(t, fx.bob, "quiet", "a quiet thread")
	reply := fx.remoteReply(t, loud, local.ID, "<p>LOUD REPLY</p>")
	fx.follows(t, fx.alice, loud)

	fx.block(t, forum.DomainBlockInput{Domain: "loud.example", Severity: forum.SeveritySilence})
	if ids := fx.latestIDs(t, fx.alice.Viewer()); has(ids, th) || !has(ids, local.ID) {
		t.Fatalf("silenced thread listed (or the local one missing): %v", ids)
	}
	// A follower reads it; someone else does not.
	if p := fx.postOnPage(t, fx.alice.Viewer(), th, opener); p.Redacted {
		t.Fatalf("a follower cannot read the silenced thread: %+v", p)
	}
	if _, err := fx.f.ThreadByID(fx.ctx, fx.bob.Viewer(), th); !errors.Is(err, forum.ErrNotFound) {
		t.Fatalf("silenced thread for a non-follower: %v", err)
	}
	if p := fx.postOnPage(t, fx.bob.Viewer(), local.ID, reply); !p.Redacted || p.Withheld != forum.LimitSilence {
		t.Fatalf("silenced reply for a non-follower: %+v", p)
	}
	if p := fx.postOnPage(t, forum.Guest, local.ID, reply); !p.Redacted {
		t.Fatalf("silenced reply for a guest: %+v", p)
	}
	if p := fx.postOnPage(t, fx.alice.Viewer(), local.ID, reply); p.Redacted {
		t.Fatalf("silenced reply for a follower: %+v", p)
	}
	if n, _ := fx.f.CountFollowing(fx.ctx, fx.alice.ID); n != 1 {
		t.Fatalf("a silence severed a follow: alice follows %d", n)
	}
	if v, _ := fx.f.DomainVerdict(fx.ctx, "loud.example"); v.Blocked() || v.Limit != forum.LimitSilence {
		t.Fatalf("a silenced domain's verdict: %+v", v)
	}

	if _, err := fx.f.UnblockDomain(fx.ctx, fx.admin.Viewer(), "loud.example", ""); err != nil {
		t.Fatal(err)
	}
	if ids := fx.latestIDs(t, fx.bob.Viewer()); !has(ids, th) {
		t.Fatalf("lifted silence: thread not listed: %v", ids)
	}
	if p := fx.postOnPage(t, fx.bob.Viewer(), local.ID, reply); p.Redacted {
		t.Fatalf("lifted silence: reply still withheld: %+v", p)
	}
}

// Hosts are canonicalised once: case, a trailing dot and IDNA spellings are one domain, and a
// block covers subdomains, never look-alikes or other ports' hosts' parents.
func TestDomainVariantsAndSubdomains(t *testing.T) {
	t.Parallel()
	fx := newDomainFixture(t)
	fx.block(t, forum.DomainBlockInput{Domain: "*.Bücher.Example.", Severity: forum.SeveritySuspend})
	for host, blocked := range map[string]bool{
		"xn--bcher-kva.example":          true,
		"xn--bcher-kva.example:8443":     true,
		"deep.sub.xn--bcher-kva.example": true,
		"xn--xbcher-kva.example":         false, // not a subdomain: a look-alike
		"bcher-kva.example":              false,
		"example":                        false, // the parent is not covered
	} {
		v, err := fx.f.DomainVerdict(fx.ctx, host)
		if err != nil || v.Blocked() != blocked {
			t.Errorf("%s: blocked %v, want %v (%v)", host, v.Blocked(), blocked, err)
		}
	}
	if _, err := fx.f.BlockDomain(fx.ctx, fx.admin.Viewer(), forum.DomainBlockInput{Domain: "BÜCHER.example"}); err != nil {
		t.Fatalf("the same domain spelled again: %v", err)
	}
	if n := fx.count(t, `SELECT count(*) FROM domain_blocks`); n != 1 {
		t.Fatalf("%d block rows for one domain", n)
	}
	for _, bad := range []string{"evil.example/path", "user@evil.example", "evil.example:80", "evil%2eexample", ""} {
		_, err := fx.f.BlockDomain(fx.ctx, fx.admin.Viewer(), forum.DomainBlockInput{Domain: bad})
		wantInvalid(t, "block "+bad, err, "domain")
	}
	if _, err := fx.f.BlockDomain(fx.ctx, fx.mod.Viewer(), forum.DomainBlockInput{Domain: "x.example"}); !errors.Is(err, forum.ErrForbidden) {
		t.Fatalf("a moderator blocked a domain: %v", err)
	}
}

// The preview counts exactly what the block then does.
func TestBlastRadiusCountsWhatABlockTouches(t *testing.T) {
	t.Parallel()
	fx := newDomainFixture(t)
	a := fx.remote(t, forum.ActorPerson, "big.example", "a")
	b := fx.remote(t, forum.ActorPerson, "x.big.example", "b")
	group := fx.remote(t, forum.ActorGroup, "big.example", "community")
	fx.remote(t, forum.ActorPerson, "other.example", "c")
	fx.remoteFollows(t, a, fx.cat.ActorID)
	fx.remoteFollows(t, b, fx.alice.ID)
	fx.follows(t, fx.alice, a)
	fx.follows(t, fx.bob, a)
	fx.follows(t, fx.bob, group)
	th, _ := fx.remoteThread(t, a, "one", "<p>one</p>")
	fx.remoteReply(t, b, th, "<p>two</p>")

	in := forum.DomainBlockInput{Domain: "big.example", Severity: forum.SeveritySuspend}
	r, err := fx.f.BlastRadius(fx.ctx, fx.admin.Viewer(), in)
	if err != nil {
		t.Fatal(err)
	}
	want := forum.BlastRadius{Accounts: 3, LocalFollowers: 2, LocalFollows: 3, RemoteFollowers: 2, FollowsOfGroups: 1,
		FollowsOfMembers: 1, PostsInLocal: 2, ThreadsInLocal: 1}
	got := r
	got.Domain, got.Current, got.Proposed, got.CurrentLimit, got.ProposedLimit = "", nil, forum.DomainRule{}, 0, 0
	if got != want {
		t.Fatalf("radius\n got %+v\nwant %+v", got, want)
	}
	if !r.Severs() || r.CurrentLimit != forum.LimitNone || r.ProposedLimit != forum.LimitSuspend {
		t.Fatalf("radius verdicts: %+v", r)
	}
	if n := fx.count(t, `SELECT count(*) FROM domain_blocks`); n != 0 {
		t.Fatal("the preview changed the rules")
	}
	fx.block(t, in)
	if n := fx.count(t, `SELECT count(*) FROM severed_follows`); n != r.LocalFollows+r.FollowsOfGroups+r.FollowsOfMembers {
		t.Fatalf("%d follows severed, the preview said %d", n, r.LocalFollows+r.FollowsOfGroups+r.FollowsOfMembers)
	}
	after, err := fx.f.BlastRadius(fx.ctx, fx.admin.Viewer(), forum.DomainBlockInput{Domain: "big.example", Severity: forum.SeveritySilence})
	if err != nil {
		t.Fatal(err)
	}
	if !after.Restores() || after.SeveredFollows != 5 || after.Current == nil || after.Current.Severity != forum.SeveritySuspend {
		t.Fatalf("downgrading preview: %+v", after)
	}
}

// Allowlist mode federates with the allowed domains only, and switching back restores the rest.
func TestAllowlistMode(t *testing.T) {
	t.Parallel()
	fx := newDomainFixture(t)
	friend := fx.remote(t, forum.ActorPerson, "friend.example", "f")
	stranger := fx.remote(t, forum.ActorPerson, "stranger.example", "s")
	ft, _ := fx.remoteThread(t, friend, "friendly", "<p>hi</p>")
	st, _ := fx.remoteThread(t, stranger, "strange", "<p>hi</p>")
	fx.remoteFollows(t, stranger, fx.cat.ActorID)
	if _, err := fx.f.AllowDomain(fx.ctx, fx.admin.Viewer(), "FRIEND.example", "partners"); err != nil {
		t.Fatal(err)
	}
	preview, err := fx.f.AllowlistBlastRadius(fx.ctx, fx.admin.Viewer())
	if err != nil || preview.DomainCount != 1 || preview.Domains[0].Domain != "stranger.example" || preview.Totals.RemoteFollowers != 1 {
		t.Fatalf("allowlist preview: %+v, %v", preview, err)
	}
	if _, err := fx.f.SetFederationMode(fx.ctx, fx.admin.Viewer(), forum.FederateAllowlist); err != nil {
		t.Fatal(err)
	}
	for host, blocked := range map[string]bool{"friend.example": false, "sub.friend.example": false, "stranger.example": true, "new.example": true} {
		if v, _ := fx.f.DomainVerdict(fx.ctx, host); v.Blocked() != blocked {
			t.Errorf("allowlist mode, %s: blocked %v", host, v.Blocked())
		}
	}
	if ids := fx.latestIDs(t, forum.Guest); !has(ids, ft) || has(ids, st) {
		t.Fatalf("allowlist mode lists %v (friend %d, stranger %d)", ids, ft, st)
	}
	if n, _ := fx.f.CountFollowers(fx.ctx, fx.cat.ActorID); n != 0 {
		t.Fatalf("a stranger still follows the category in allowlist mode")
	}
	// A newly seen actor of a domain not allowed is born suspended.
	late := fx.remote(t, forum.ActorPerson, "late.example", "l")
	if a, err := fx.f.ActorByID(fx.ctx, late.ID); err != nil || a.DomainLimit != forum.LimitSuspend {
		t.Fatalf("new actor in allowlist mode: limit %v, %v", a.DomainLimit, err)
	}
	if _, err := fx.f.SetFederationMode(fx.ctx, fx.admin.Viewer(), forum.FederateBlocklist); err != nil {
		t.Fatal(err)
	}
	if ids := fx.latestIDs(t, forum.Guest); !has(ids, st) {
		t.Fatalf("back in blocklist mode, the stranger's thread is not listed: %v", ids)
	}
	if n, _ := fx.f.CountFollowers(fx.ctx, fx.cat.ActorID); n != 1 {
		t.Fatalf("back in blocklist mode, the stranger's follow was not restored")
	}
}

// The public list shows severity and public comment, never private comments, and obfuscates as
// Mastodon does; the domain's digest lets a peer recognise itself.
func TestPublicRulesObfuscate(t *testing.T) {
	t.Parallel()
	fx := newDomainFixture(t)
	fx.block(t, forum.DomainBlockInput{Domain: "example.com", Severity: forum.SeveritySuspend, Obfuscate: true,
		PublicComment: "hate speech", PrivateComment: "see report 12"})
	fx.block(t, forum.DomainBlockInput{Domain: "plain.example", Severity: forum.SeveritySilence, PublicComment: "spam"})
	rules, err := fx.f.PublicDomainRules(fx.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 2 {
		t.Fatalf("%d public rules", len(rules))
	}
	ob, plain := rules[0], rules[1]
	if ob.PublicDomain() != "exa****.*om" || ob.PrivateComment != "" || ob.PublicComment != "hate speech" {
		t.Fatalf("obfuscated rule: %q %+v", ob.PublicDomain(), ob)
	}
	if ob.Digest() != "a379a6f6eeafb9a55e378c118034e2751e682fab9f2d30ab13d2125586ce1947" {
		t.Fatalf("digest %s", ob.Digest())
	}
	if plain.PublicDomain() != "plain.example" || plain.Severity != forum.SeveritySilence {
		t.Fatalf("plain rule: %+v", plain)
	}
}

// A block that hides accounts' content queues the vacuum that clears the lists' indexes of their
// threads; a block that touches no known account, and a lift, queue none.
func TestBlockQueuesTheListsVacuum(t *testing.T) {
	t.Parallel()
	fx := newDomainFixture(t)
	vacuums := func() int {
		fx.jobs.mu.Lock()
		defer fx.jobs.mu.Unlock()
		n := 0
		for _, a := range fx.jobs.args {
			if _, ok := a.(forum.ThreadListsVacuumArgs); ok {
				n++
			}
		}
		return n
	}
	fx.block(t, forum.DomainBlockInput{Domain: "nobody.example"})
	if vacuums() != 0 {
		t.Fatal("a block of an unknown domain queued a vacuum")
	}
	flood := fx.remote(t, forum.ActorPerson, "flood.example", "f")
	fx.remoteThread(t, flood, "flood", "<p>flood</p>")
	fx.block(t, forum.DomainBlockInput{Domain: "flood.example", Severity: forum.SeveritySilence})
	if vacuums() != 1 {
		t.Fatalf("%d vacuums queued by a block that hides", vacuums())
	}
	if _, err := fx.f.UnblockDomain(fx.ctx, fx.admin.Viewer(), "flood.example", ""); err != nil {
		t.Fatal(err)
	}
	if vacuums() != 1 {
		t.Fatal("a lift queued a vacuum")
	}
	if err := fx.f.VacuumThreadLists(fx.ctx); err != nil {
		t.Fatalf("the job's work: %v", err)
	}
}

// A preview counts a domain's posts and threads up to BlastCountCap and says "more" past it, rather
// than reading every post of a big domain on every preview.
func TestBlastRadiusCountsPostsUpToItsCap(t *testing.T) {
	t.Parallel()
	fx := newDomainFixture(t)
	a := fx.remote(t, forum.ActorPerson, "big.example", "a")
	th, _ := fx.remoteThread(t, a, "one", "<p>one</p>")
	if _, err := fx.pool.Exec(fx.ctx, `INSERT INTO posts (thread_id, author_id, position, source)
		SELECT $1, $2, 1 + g, 'more' FROM generate_series(1, $3::int) g`, th, a.ID, forum.BlastCountCap+5); err != nil {
		t.Fatal(err)
	}
	r, err := fx.f.BlastRadius(fx.ctx, fx.admin.Viewer(), forum.DomainBlockInput{Domain: "big.example", Severity: forum.SeveritySuspend})
	if err != nil {
		t.Fatal(err)
	}
	if r.PostsInLocal != forum.BlastCountCap+1 || r.ThreadsInLocal != 1 {
		t.Fatalf("posts %d, threads %d; want %d (past the cap) and 1", r.PostsInLocal, r.ThreadsInLocal, forum.BlastCountCap+1)
	}
}
