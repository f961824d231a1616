package inbox

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// One test per rule of SECURITY.md that an inbound request crosses (1-17 and 19; 18's inbox side is
// TestRule18ABlockedDomainsQueuedActivityIsNotApplied). Each sends crafted requests through the
// real handler and checks the answer and that nothing was stored and nothing would be sent (every
// activity Stoa would publish is a row of the activities table, which the snapshots count).

const asPublic = "https://www.w3.org/ns/activitystreams#Public"

// reply is a Create of a Note by a answering the thread's opener.
func (h *harness) reply(a *remoteActor, n int, content string) []byte {
	id := fmt.Sprintf("%s/statuses/%d", a.id, n)
	return activity(map[string]any{"id": id + "/activity", "type": "Create", "actor": a.id, "to": []string{asPublic},
		"object": map[string]any{"id": id, "type": "Note", "attributedTo": a.id, "inReplyTo": h.postIRI(h.opener.ID),
			"content": "<p>" + content + "</p>", "to": []string{asPublic}, "published": now()}})
}

func (h *harness) expect(status int, msg string, want int) {
	h.t.Helper()
	if status != want {
		h.t.Fatalf("answered %d (%s), want %d", status, strings.TrimSpace(msg), want)
	}
}

// Rule 1: the key that signed must belong to the activity's actor; the same host is not enough.
func TestRule01KeyOwnerMustBeTheActor(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	masto := h.peers.host("masto.test")
	ada := masto.actor("Person", "ada", testKey(0))
	bea := masto.actor("Person", "bea", testKey(1))
	before := h.snapshot()
	sig := ada.signature()
	status, msg := h.send("/inbox", h.reply(bea, 1, "I am bea, signed by ada"), &sig)
	h.expect(status, msg, http.StatusUnauthorized)
	if !strings.Contains(msg, "not to the activity's actor") {
		t.Fatalf("the refusal does not say why: %q", msg)
	}
	h.settle()
	// ada's actor document was fetched to find her key: that is the only change.
	h.unchangedExcept(before, "actors")
	if n := h.count(`SELECT count(*) FROM actors WHERE ap_id = $1`, bea.id); n != 0 {
		t.Fatal("bea was stored")
	}
}

// Rule 2: an actor's key and inbox are on its own origin (an actor document that puts them
// elsewhere is refused, so its key never verifies anything), and an activity's id is on its
// actor's origin.
func TestRule02ActorAndActivityShareTheActorsOrigin(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	mallory := h.peers.host("gts.test").actor("Person", "mallory", testKey(0))
	mallory.doc["inbox"] = "http://other.test/inbox"
	mallory.publish()
	before := h.snapshot()
	sig := mallory.signature()
	status, msg := h.send("/inbox", h.reply(mallory, 1, "my inbox is elsewhere"), &sig)
	h.expect(status, msg, http.StatusUnauthorized)

	ada := h.peers.host("masto.test").actor("Person", "ada", testKey(1))
	body := activity(map[string]any{"id": "http://other.test/activities/1", "type": "Like", "actor": ada.id,
		"object": h.postIRI(h.opener.ID)})
	sig = ada.signature()
	status, msg = h.send("/inbox", body, &sig)
	h.expect(status, msg, http.StatusForbidden)
	h.settle()
	h.unchangedExcept(before, "actors") // ada's actor was fetched to check her key: nothing else
	if n := h.count(`SELECT count(*) FROM actors WHERE ap_id = $1`, mallory.id); n != 0 {
		t.Fatal("an actor whose inbox is on another origin was stored")
	}
}

// Rule 3: an embedded object whose id is on another origin than the signer's is fetched from its
// own origin, never stored as sent: when that origin does not have it, nothing is stored; when it
// has another text, the origin's text is stored.
func TestRule03EmbeddedObjectsFromAnotherOriginAreFetched(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ada := h.peers.host("masto.test").actor("Person", "ada", testKey(0))
	other := h.peers.host("other.test")
	olga := other.actor("Person", "olga", testKey(2))
	before := h.snapshot()
	forged := map[string]any{"id": "http://other.test/notes/1", "type": "Note", "attributedTo": ada.id,
		"inReplyTo": h.postIRI(h.opener.ID), "content": "<p>FORGED words</p>", "to": []string{asPublic}}
	h.deliver(ada, activity(map[string]any{"id": ada.id + "/activities/1", "type": "Create", "actor": ada.id, "object": forged}))
	h.settle()
	if got := other.requests(); !slices.Contains(got, "GET /notes/1") {
		t.Fatalf("other.test saw %v: the note was not fetched from its origin", got)
	}
	h.unchangedExcept(before, "inbound_activities", "actors")

	// A Group relays olga's Create with a forged copy of her note; other.test serves the real one.
	group := h.peers.host("lemmy.test").actor("Group", "woodwork", testKey(1))
	h.memberFollows(h.alice, group)
	real := map[string]any{"id": "http://other.test/notes/2", "type": "Note", "attributedTo": olga.id,
		"content": "<p>the real words</p>", "to": []string{asPublic}, "audience": group.id, "published": now()}
	create := map[string]any{"id": olga.id + "/create/2", "type": "Create", "actor": olga.id, "object": real}
	other.put("/users/olga/create/2", activity(create))
	forgedCreate := map[string]any{"id": olga.id + "/create/2", "type": "Create", "actor": olga.id,
		"object": map[string]any{"id": "http://other.test/notes/2", "type": "Note", "attributedTo": olga.id,
			"content": "<p>FORGED words</p>", "to": []string{asPublic}, "audience": group.id}}
	h.deliver(group, activity(map[string]any{"id": group.id + "/announce/1", "type": "Announce", "actor": group.id,
		"object": forgedCreate, "to": []string{asPublic}}))
	h.settle()
	p := h.postByAPID("http://other.test/notes/2")
	if !strings.Contains(p.HTML, "the real words") || strings.Contains(p.HTML, "FORGED") {
		t.Fatalf("stored %q", p.HTML)
	}
}

// Rule 4: every handler checks its own authority. Each of these is verified, recorded and
// answered 202, and changes nothing.
func TestRule04OnlyTheRightActorMayActOnSomething(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ada := h.peers.host("masto.test").actor("Person", "ada", testKey(0))
	eve := h.peers.host("other.test").actor("Person", "eve", testKey(1))
	group := h.peers.host("lemmy.test").actor("Group", "woodwork", testKey(2))

	// Setup: ada follows the category and replies; alice follows the remote Group, waiting for
	// its Accept.
	follow := ada.id + "/follows/1"
	h.deliver(ada, activity(map[string]any{"id": follow, "type": "Follow", "actor": ada.id, "object": h.iri("/c/general")}))
	h.deliver(ada, h.reply(ada, 1, "original words"))
	h.settle()
	g, err := h.fed.Actors.Resolve(h.ctx, group.id)
	if err != nil {
		t.Fatal(err)
	}
	fo, err := h.f.FollowRemote(h.ctx, h.alice.Viewer(), g.ID)
	if err != nil {
		t.Fatal(err)
	}
	adaPost := ada.id + "/statuses/1"
	before := h.snapshot()

	cases := []struct {
		name string
		body []byte
	}{
		{"accept of a follow of someone else", activity(map[string]any{"id": eve.id + "/a/1", "type": "Accept", "actor": eve.id,
			"object": h.iri(fmt.Sprintf("/activities/%d", *fo.FollowActivityID))})},
		{"undo of someone else's follow (embedded)", activity(map[string]any{"id": eve.id + "/a/2", "type": "Undo", "actor": eve.id,
			"object": map[string]any{"id": follow, "type": "Follow", "actor": ada.id, "object": h.iri("/c/general")}})},
		{"undo of someone else's follow (by id)", activity(map[string]any{"id": eve.id + "/a/3", "type": "Undo", "actor": eve.id,
			"object": follow})},
		{"update of someone else's post", activity(map[string]any{"id": eve.id + "/a/4", "type": "Update", "actor": eve.id,
			"object": map[string]any{"id": adaPost, "type": "Note", "attributedTo": ada.id, "content": "<p>eve was here</p>",
				"updated": now(), "to": []string{asPublic}}})},
		{"delete of someone else's post", activity(map[string]any{"id": eve.id + "/a/5", "type": "Delete", "actor": eve.id,
			"object": adaPost})},
		{"announce into a Group by a person", activity(map[string]any{"id": eve.id + "/a/6", "type": "Announce", "actor": eve.id,
			"object": map[string]any{"id": eve.id + "/a/6/create", "type": "Create", "actor": eve.id,
				"object": map[string]any{"id": eve.id + "/notes/6", "type": "Note", "attributedTo": eve.id, "content": "<p>x</p>",
					"to": []string{asPublic}, "audience": group.id}}})},
		{"lock of a thread here by a stranger", activity(map[string]any{"id": eve.id + "/a/7", "type": "Lock", "actor": eve.id,
			"object": h.postIRI(h.opener.ID)})},
	}
	for _, c := range cases {
		h.deliver(eve, c.body)
	}
	h.settle()
	h.unchangedExcept(before, "inbound_activities", "actors")
	p := h.postByAPID(adaPost)
	if !strings.Contains(p.HTML, "original words") || p.Deleted() {
		t.Fatalf("ada's post changed: %q deleted=%v", p.HTML, p.Deleted())
	}
	if st, err := h.f.FollowByID(h.ctx, fo.ID); err != nil || st.State != "pending" {
		t.Fatalf("alice's follow is %q (%v), want still pending", st.State, err)
	}
	if n := h.count(`SELECT count(*) FROM follows WHERE ap_id = $1`, follow); n != 1 {
		t.Fatal("ada's follow was undone by someone else")
	}
	for i := 1; i <= len(cases); i++ {
		if out := h.outcome(fmt.Sprintf("%s/a/%d", eve.id, i)); out == "" {
			t.Errorf("case %q: applied with no objection", cases[i-1].name)
		}
	}
}

// Rule 5: a pushed Update of an actor changes how it is shown, never its key: a request signed
// with the key the Update pushed does not verify.
func TestRule05PushedUpdateNeverReplacesTheKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ada := h.peers.host("masto.test").actor("Person", "ada", testKey(0))
	h.deliver(ada, activity(map[string]any{"id": ada.id + "/likes/1", "type": "Like", "actor": ada.id, "object": h.postIRI(h.opener.ID)}))
	h.settle()
	pushed := map[string]any{}
	for k, v := range ada.doc {
		pushed[k] = v
	}
	pushed["name"] = "Ada Lovelace"
	pushed["publicKey"] = map[string]any{"id": ada.keyID, "owner": ada.id, "publicKeyPem": publicPEM(testKey(3))}
	h.deliver(ada, activity(map[string]any{"id": ada.id + "/updates/1", "type": "Update", "actor": ada.id, "object": pushed}))
	h.settle()
	a, err := h.f.ActorByAPID(h.ctx, ada.id)
	if err != nil {
		t.Fatal(err)
	}
	if a.DisplayName != "Ada Lovelace" {
		t.Fatalf("display name %q: the profile was not refreshed", a.DisplayName)
	}
	if a.PublicKeyPEM != publicPEM(testKey(0)) {
		t.Fatal("a pushed Update replaced the key")
	}
	before := h.snapshot()
	sig := ada.signature()
	sig.key = testKey(3)
	status, msg := h.send("/inbox", h.reply(ada, 1, "signed with the pushed key"), &sig)
	h.expect(status, msg, http.StatusUnauthorized)
	h.settle()
	h.unchanged(before)
}

// Rule 6: nothing whose id is on this instance is ingested: an activity claiming a local actor
// (even correctly signed with its key, as a replay of Stoa's own delivery would be), and a remote
// Create embedding an object with a local id.
func TestRule06NothingOfOurOwnHostIsIngested(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ada := h.peers.host("masto.test").actor("Person", "ada", testKey(0))
	h.deliver(ada, activity(map[string]any{"id": ada.id + "/likes/1", "type": "Like", "actor": ada.id, "object": h.postIRI(h.opener.ID)}))
	h.settle()
	before := h.snapshot()
	alice := h.iri("/u/alice")
	key, err := h.fed.Keys.ForActor(h.ctx, mustActor(t, h, alice))
	if err != nil {
		t.Fatal(err)
	}
	replay := activity(map[string]any{"id": h.iri("/activities/999"), "type": "Create", "actor": alice,
		"object": map[string]any{"id": h.iri("/p/999"), "type": "Note", "attributedTo": alice, "content": "<p>me again</p>",
			"inReplyTo": h.postIRI(h.opener.ID), "to": []string{asPublic}}})
	sig := signature{keyID: alice + "#main-key", key: key.Private, headers: []string{"(request-target)", "host", "date", "digest"},
		algorithm: "rsa-sha256", date: time.Now()}
	status, msg := h.send("/inbox", replay, &sig)
	h.expect(status, msg, http.StatusForbidden)

	embedded := activity(map[string]any{"id": ada.id + "/activities/2", "type": "Create", "actor": ada.id,
		"object": map[string]any{"id": h.postIRI(h.opener.ID), "type": "Note", "attributedTo": ada.id, "content": "<p>I wrote this</p>",
			"to": []string{asPublic}}})
	sig = ada.signature()
	status, msg = h.send("/inbox", embedded, &sig)
	h.expect(status, msg, http.StatusForbidden)
	h.settle()
	h.unchanged(before)
	if p, err := h.f.PostByID(h.ctx, h.alice.Viewer(), h.opener.ID); err != nil || strings.Contains(p.HTML, "I wrote this") {
		t.Fatalf("the opener changed: %v %q", err, p.HTML)
	}
}

// Rule 7: an activity id is recorded only once its request verified, so a forged first copy
// cannot make the genuine one a "replay"; and a replay of the genuine one has no second effect.
func TestRule07IdsAreRecordedOnlyAfterVerificationAndReplaysDoNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ada := h.peers.host("masto.test").actor("Person", "ada", testKey(0))
	body := h.reply(ada, 1, "said once")
	forged := ada.signature()
	forged.key = testKey(1)
	before := h.snapshot()
	status, msg := h.send("/inbox", body, &forged)
	h.expect(status, msg, http.StatusUnauthorized)
	h.settle()
	h.unchangedExcept(before, "actors")

	h.deliver(ada, body)
	h.settle()
	h.deliver(ada, body) // a redelivery, with a fresh signature
	h.settle()
	if n := h.count(`SELECT count(*) FROM posts WHERE ap_id = $1`, ada.id+"/statuses/1"); n != 1 {
		t.Fatalf("%d posts, want 1", n)
	}
	if n := h.count(`SELECT count(*) FROM river_job WHERE kind = 'inbox_apply'`); n != 1 {
		t.Fatalf("%d apply jobs, want 1", n)
	}
	if n := h.count(`SELECT count(*) FROM inbound_activities`); n != 1 {
		t.Fatalf("%d recorded activities, want 1", n)
	}
}

// Rule 8: a Delete of an unknown actor is answered 202 at once and fetches nothing; a Delete of an
// unknown object by a known actor fetches nothing either, and leaves a tombstone so the object's
// late Create is ignored.
func TestRule08DeletesOfUnknownThingsAreCheapAndFetchNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	gts := h.peers.host("gts.test")
	gone := &remoteActor{id: gts.base() + "/users/gone", keyID: gts.base() + "/users/gone/main-key", key: testKey(1), peer: gts}
	before := h.snapshot()
	sig := gone.signature()
	status, msg := h.send("/inbox", activity(map[string]any{"id": gts.base() + "/deletes/1", "type": "Delete", "actor": gone.id,
		"object": gone.id, "to": []string{asPublic}}), &sig)
	h.expect(status, msg, http.StatusAccepted)
	h.settle()
	h.unchanged(before)
	if got := gts.requests(); len(got) != 0 {
		t.Fatalf("gts.test was asked %v", got)
	}

	masto := h.peers.host("masto.test")
	ada := masto.actor("Person", "ada", testKey(0))
	h.deliver(ada, activity(map[string]any{"id": ada.id + "/likes/1", "type": "Like", "actor": ada.id, "object": h.postIRI(h.opener.ID)}))
	h.settle()
	asked := len(masto.requests())
	note := ada.id + "/statuses/9"
	h.deliver(ada, activity(map[string]any{"id": note + "#delete", "type": "Delete", "actor": ada.id,
		"object": map[string]any{"id": note, "type": "Tombstone"}}))
	h.settle()
	if got := masto.requests(); len(got) != asked {
		t.Fatalf("the Delete of an unknown post fetched %v", got[asked:])
	}
	h.deliver(ada, h.reply(ada, 9, "back from the dead"))
	h.settle()
	if n := h.count(`SELECT count(*) FROM posts WHERE ap_id = $1`, note); n != 0 {
		t.Fatal("a Create after the object's Delete was stored")
	}
	if out := h.outcome(note + "/activity"); !strings.Contains(out, "deleted") {
		t.Fatalf("outcome of the late Create: %q", out)
	}
}

// Rule 9: domain blocks are asked about the signer's, the actor's and every object's host before
// any key is fetched, subdomains included; hosts that are not plain host names are refused.
func TestRule09DomainBlocksComeBeforeAnyFetch(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.policy.block("evil.test")
	evil := h.peers.host("evil.test").actor("Person", "eve", testKey(1))
	sub := h.peers.host("sub.evil.test").actor("Person", "sam", testKey(2))
	masto := h.peers.host("masto.test")
	ada := masto.actor("Person", "ada", testKey(0))
	before := h.snapshot()
	for _, a := range []*remoteActor{evil, sub} {
		sig := a.signature()
		status, msg := h.send("/inbox", h.reply(a, 1, "hello from a blocked place"), &sig)
		h.expect(status, msg, http.StatusForbidden)
	}
	// An allowed signer whose activity is about a blocked host: dropped, with no key fetch.
	aboutEvil := activity(map[string]any{"id": ada.id + "/statuses/2/activity", "type": "Create", "actor": ada.id,
		"object": map[string]any{"id": ada.id + "/statuses/2", "type": "Note", "attributedTo": ada.id,
			"inReplyTo": "http://evil.test/notes/1", "content": "<p>re</p>", "to": []string{asPublic}}})
	sig := ada.signature()
	status, msg := h.send("/inbox", aboutEvil, &sig)
	h.expect(status, msg, http.StatusAccepted)
	// Key ids whose host is not a host name.
	for _, keyID := range []string{"http://ada@masto.test/users/ada#main-key", "http://masto.test:80:80/users/ada#main-key",
		"http://masto%2etest/users/ada#main-key"} {
		sig := ada.signature()
		sig.keyID = keyID
		status, msg := h.send("/inbox", h.reply(ada, 3, "odd key"), &sig)
		h.expect(status, msg, http.StatusUnauthorized)
	}
	h.settle()
	h.unchanged(before)
	for _, host := range []string{"evil.test", "sub.evil.test", "masto.test"} {
		if got := h.peers.host(host).requests(); len(got) != 0 {
			t.Errorf("%s was asked %v", host, got)
		}
	}
}

// Rule 10: (request-target), host, date and digest must be signed, the digest must match the body,
// the date must be recent, and the algorithm must be the key's.
func TestRule10SignaturesCoverWhatTheyMust(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ada := h.peers.host("masto.test").actor("Person", "ada", testKey(0))
	body := h.reply(ada, 1, "signed how?")
	cases := map[string]func(s *signature) []func(*http.Request){
		"digest not signed": func(s *signature) []func(*http.Request) { s.headers = s.headers[:3]; return nil },
		"host not signed": func(s *signature) []func(*http.Request) {
			s.headers = []string{"(request-target)", "date", "digest"}
			return nil
		},
		"request-target not signed": func(s *signature) []func(*http.Request) { s.headers = s.headers[1:]; return nil },
		"digest of another body": func(s *signature) []func(*http.Request) {
			s.digest = "SHA-256=" + strings.Repeat("A", 43) + "="
			return nil
		},
		"date 13 hours old":     func(s *signature) []func(*http.Request) { s.date = time.Now().Add(-13 * time.Hour); return nil },
		"date 2 hours ahead":    func(s *signature) []func(*http.Request) { s.date = time.Now().Add(2 * time.Hour); return nil },
		"algorithm hmac-sha256": func(s *signature) []func(*http.Request) { s.algorithm = "hmac-sha256"; return nil },
		"date changed after signing": func(s *signature) []func(*http.Request) {
			return []func(*http.Request){func(r *http.Request) { r.Header.Set("Date", time.Now().Add(time.Minute).UTC().Format(http.TimeFormat)) }}
		},
		"signed for another host": func(s *signature) []func(*http.Request) {
			return []func(*http.Request){func(r *http.Request) { r.Host = "elsewhere.test" }}
		},
	}
	before := h.snapshot()
	for name, c := range cases {
		sig := ada.signature()
		changes := c(&sig)
		status, msg := h.send("/inbox", body, &sig, changes...)
		if status != http.StatusUnauthorized {
			t.Errorf("%s: answered %d (%s), want 401", name, status, msg)
		}
	}
	h.settle()
	h.unchangedExcept(before, "actors")
	if n := h.count(`SELECT count(*) FROM inbound_activities`); n != 0 {
		t.Fatalf("%d activities recorded", n)
	}
}

// Rule 11: when a cached key fails, the key is fetched again, at most once per few minutes: a key
// rotated at the origin is picked up, a bad signature does not make Stoa fetch again and again.
func TestRule11AKeyIsRefetchedAtMostOncePerFewMinutes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	masto := h.peers.host("masto.test")
	ada := masto.actor("Person", "ada", testKey(0))
	h.deliver(ada, activity(map[string]any{"id": ada.id + "/likes/1", "type": "Like", "actor": ada.id, "object": h.postIRI(h.opener.ID)}))
	h.settle()
	if _, err := h.pool.Exec(h.ctx, `UPDATE actors SET fetch_attempted_at = now() - interval '10 minutes' WHERE ap_id = $1`, ada.id); err != nil {
		t.Fatal(err)
	}
	ada.key = testKey(1)
	ada.doc["publicKey"] = map[string]any{"id": ada.keyID, "owner": ada.id, "publicKeyPem": publicPEM(ada.key)}
	ada.publish()
	asked := len(masto.requests())
	h.deliver(ada, h.reply(ada, 1, "with my new key"))
	h.settle()
	if got := masto.requests(); len(got) != asked+1 {
		t.Fatalf("the rotated key took %d fetches, want 1: %v", len(got)-asked, got[asked:])
	}
	before := h.snapshot()
	for i := range 3 {
		sig := ada.signature()
		sig.key = testKey(2)
		status, msg := h.send("/inbox", h.reply(ada, 10+i, "bad"), &sig)
		h.expect(status, msg, http.StatusUnauthorized)
	}
	if got := masto.requests(); len(got) != asked+1 {
		t.Fatalf("bad signatures made Stoa fetch the key again: %v", got[asked+1:])
	}
	h.settle()
	h.unchanged(before)
}

// Rule 12: a key is taken only from an ActivityStreams document; an HTML page or plain JSON at the
// key's URL (a profile parameter on another type does not count) verifies nothing.
func TestRule12KeysComeOnlyFromActivityStreamsDocuments(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	gts := h.peers.host("gts.test")
	before := h.snapshot()
	for i, typ := range []string{"text/html", `application/json; profile="https://www.w3.org/ns/activitystreams"`, "application/json"} {
		a := gts.actor("Person", fmt.Sprintf("p%d", i), testKey(0))
		gts.setType("/users/"+fmt.Sprintf("p%d", i), typ)
		sig := a.signature()
		status, msg := h.send("/inbox", h.reply(a, 1, "from "+typ), &sig)
		if status != http.StatusUnauthorized {
			t.Errorf("actor served as %s: answered %d (%s), want 401", typ, status, msg)
		}
	}
	h.settle()
	h.unchanged(before)
}

// Rule 13: a key document's id must be the URL it came from, after at most one redirect within
// the same origin.
func TestRule13KeyDocumentsAreWhereTheySayTheyAre(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	masto := h.peers.host("masto.test")
	ada := masto.actor("Person", "ada", testKey(0))
	// twin publishes ada's document under its own URL: its key id says twin, the document says ada.
	twin := &remoteActor{id: masto.base() + "/users/twin", keyID: ada.keyID, key: ada.key, peer: masto}
	twinDoc := map[string]any{}
	for k, v := range ada.doc {
		twinDoc[k] = v
	}
	masto.put("/users/twin", twinDoc)
	// hop redirects to another origin, which serves a perfect actor document for it.
	other := h.peers.host("other.test")
	hop := other.actor("Person", "hop", testKey(1))
	masto.redirect("/users/hop", hop.id)
	hopHere := &remoteActor{id: masto.base() + "/users/hop", keyID: masto.base() + "/users/hop#main-key", key: hop.key, peer: masto}
	before := h.snapshot()
	for _, a := range []*remoteActor{twin, hopHere} {
		sig := a.signature()
		sig.keyID = a.id + "#main-key"
		status, msg := h.send("/inbox", h.reply(a, 1, "who am I"), &sig)
		if status != http.StatusUnauthorized {
			t.Errorf("%s: answered %d (%s), want 401", a.id, status, msg)
		}
	}
	h.settle()
	h.unchanged(before)
}

// Rule 14: keys are never fetched from loopback or private addresses, nor over plain http, in the
// production setting (no unsafe local federation).
func TestRule14KeysAreNotFetchedFromPrivateAddresses(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(c *harnessConfig) { c.strict = true })
	masto := h.peers.host("masto.test")
	ada := masto.actor("Person", "ada", testKey(0))
	before := h.snapshot()
	for _, keyID := range []string{"https://" + h.peers.addr() + "/users/ada#main-key", "http://" + h.peers.addr() + "/users/ada#main-key",
		"https://127.1/users/ada#main-key", "https://[::ffff:127.0.0.1]/users/ada#main-key", "https://localhost/users/ada#main-key"} {
		sig := ada.signature()
		sig.keyID = keyID
		actorID := strings.TrimSuffix(keyID, "#main-key")
		body := activity(map[string]any{"id": actorID + "/likes/1", "type": "Like", "actor": actorID, "object": h.postIRI(h.opener.ID)})
		status, msg := h.send("/inbox", body, &sig)
		if status != http.StatusUnauthorized {
			t.Errorf("key %s: answered %d (%s), want 401", keyID, status, msg)
		}
	}
	h.settle()
	h.unchanged(before)
	if n := h.peers.total(); n != 0 {
		t.Fatalf("the peers' listener was reached %d times", n)
	}
}

// Rule 15: one activity causes a bounded number of fetches: a reply under a chain of thirty posts
// nobody here has is not followed to its end, and nothing of it is stored.
func TestRule15AReplyChainIsFetchedWithinBounds(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	masto := h.peers.host("masto.test")
	ada := masto.actor("Person", "ada", testKey(0))
	for i := 1; i <= 30; i++ {
		note := map[string]any{"id": fmt.Sprintf("%s/statuses/%d", ada.id, i), "type": "Note", "attributedTo": ada.id,
			"content": fmt.Sprintf("<p>link %d</p>", i), "to": []string{asPublic}, "cc": []string{h.iri("/c/general")}}
		if i > 1 {
			note["inReplyTo"] = fmt.Sprintf("%s/statuses/%d", ada.id, i-1)
		}
		masto.put(fmt.Sprintf("/users/ada/statuses/%d", i), note)
	}
	before := h.snapshot()
	body := activity(map[string]any{"id": ada.id + "/statuses/31/activity", "type": "Create", "actor": ada.id,
		"object": map[string]any{"id": ada.id + "/statuses/31", "type": "Note", "attributedTo": ada.id,
			"inReplyTo": ada.id + "/statuses/30", "content": "<p>the end</p>", "to": []string{asPublic}}})
	asked := len(masto.requests())
	h.deliver(ada, body)
	h.settle()
	fetches := len(masto.requests()) - asked
	if fetches > 20+1 { // the activity's budget, and the key fetched at the door
		t.Fatalf("%d fetches for one activity", fetches)
	}
	h.unchangedExcept(before, "inbound_activities", "actors")
	if out := h.outcome(ada.id + "/statuses/31/activity"); !strings.Contains(out, "deep") && !strings.Contains(out, "budget") {
		t.Fatalf("outcome %q", out)
	}
}

// Rule 16: bodies are capped at 1 MiB, JSON nesting and list lengths are capped; a malformed
// activity is refused with 400, not accepted and dropped.
func TestRule16BodiesNestingAndListsAreCapped(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ada := h.peers.host("masto.test").actor("Person", "ada", testKey(0))
	big := h.reply(ada, 1, strings.Repeat("a", MaxBodyBytes))
	deep := []byte(`{"id":"` + ada.id + `/x","type":"Create","actor":"` + ada.id + `","object":` +
		strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`)
	many := make([]string, 1001)
	for i := range many {
		many[i] = fmt.Sprintf("http://masto.test/users/u%d", i)
	}
	wide := activity(map[string]any{"id": ada.id + "/likes/1", "type": "Like", "actor": ada.id, "to": many,
		"object": h.postIRI(h.opener.ID)})
	// Malformed, not merely large: a Create of nothing was answered 202 and dropped when applied.
	empty := activity(map[string]any{"id": ada.id + "/statuses/40/activity", "type": "Create", "actor": ada.id,
		"to": []string{"https://www.w3.org/ns/activitystreams#Public"}})
	before := h.snapshot()
	for _, c := range []struct {
		name string
		body []byte
		want int
	}{{"a body over 1 MiB", big, http.StatusRequestEntityTooLarge}, {"40 levels of nesting", deep, http.StatusBadRequest},
		{"1001 addressees", wide, http.StatusBadRequest}, {"a Create with no object", empty, http.StatusBadRequest}} {
		sig := ada.signature()
		if status, msg := h.send("/inbox", c.body, &sig); status != c.want {
			t.Errorf("%s: answered %d (%s), want %d", c.name, status, msg, c.want)
		}
	}
	h.settle()
	h.unchanged(before)
}

// Rule 17: each remote domain has its own rate limit: past it, 429 with Retry-After, while other
// domains go on; and forged signatures spend the forger's allowance, not the named domain's.
func TestRule17EachDomainHasItsOwnRateLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withInbox(func(o *Options) {
		o.Rate, o.Burst, o.FailureRate, o.FailureBurst = 0.01, 2, 0.01, 2
		o.ClientIP = func(r *http.Request) string { return r.Header.Get("X-Test-Client") }
	}))
	ada := h.peers.host("masto.test").actor("Person", "ada", testKey(0))
	gus := h.peers.host("gts.test").actor("Person", "gus", testKey(1))
	from := func(client string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("X-Test-Client", client) }
	}
	for i := range 2 {
		sig := ada.signature()
		status, msg := h.send("/inbox", h.reply(ada, i, "hi"), &sig, from("10.0.0.1"))
		h.expect(status, msg, http.StatusAccepted)
	}
	h.settle()
	before := h.snapshot()
	sig := ada.signature()
	status, msg := h.send("/inbox", h.reply(ada, 3, "one too many"), &sig, from("10.0.0.1"))
	h.expect(status, msg, http.StatusTooManyRequests)
	// A forger at another address names gts.test's key: its failures cost its own address.
	for i := range 3 {
		forged := gus.signature()
		forged.key = testKey(3)
		status, _ := h.send("/inbox", h.reply(gus, 100+i, "forged"), &forged, from("10.6.6.6"))
		if want := []int{401, 401, 429}[i]; status != want {
			t.Fatalf("forged request %d answered %d, want %d", i, status, want)
		}
	}
	h.settle()
	h.unchangedExcept(before, "actors")
	sig = gus.signature()
	req := h.reply(gus, 1, "gts.test still gets through")
	status, msg = h.send("/inbox", req, &sig, from("10.0.0.2"))
	h.expect(status, msg, http.StatusAccepted)
	sig = ada.signature()
	status, _, header := h.sendFull("/inbox", h.reply(ada, 4, "again"), &sig, from("10.0.0.1"))
	if retry := header.Get("Retry-After"); status != http.StatusTooManyRequests || retry == "" || retry == "0" {
		t.Fatalf("answered %d with Retry-After %q", status, retry)
	}
}

// Rule 19: federated HTML and profiles are sanitised before they are stored: no scripts, no event
// handlers, no javascript: or data: links; external links are marked.
func TestRule19RemoteHTMLIsSanitisedBeforeItIsStored(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ada := h.peers.host("masto.test").actor("Person", "ada", testKey(0))
	ada.doc["summary"] = `<p onclick="steal()">Hi <script>alert(1)</script><a href="javascript:alert(2)">me</a></p>`
	ada.doc["name"] = "Ada\u0000\u202e<b>"
	ada.publish()
	h.deliver(ada, h.reply(ada, 1, `look <img src="x" onerror="alert(3)"> <a href="data:text/html,<script>alert(4)</script>">here</a>`+
		` <a href="https://example.org/plane">a plane</a><iframe src="https://evil.test"></iframe>`))
	h.settle()
	p := h.postByAPID(ada.id + "/statuses/1")
	for _, bad := range []string{"<script", "onerror", "onclick", "javascript:", "data:", "<iframe"} {
		if strings.Contains(strings.ToLower(p.HTML), bad) {
			t.Errorf("stored post HTML contains %q: %s", bad, p.HTML)
		}
	}
	if !strings.Contains(p.HTML, `rel="nofollow noopener noreferrer ugc"`) {
		t.Errorf("the external link is not marked: %s", p.HTML)
	}
	a, err := h.f.ActorByAPID(h.ctx, ada.id)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script", "onclick", "javascript:"} {
		if strings.Contains(a.SummaryHTML, bad) {
			t.Errorf("stored profile contains %q: %s", bad, a.SummaryHTML)
		}
	}
	if strings.ContainsRune(a.DisplayName, 0) {
		t.Errorf("display name kept a control character: %q", a.DisplayName)
	}
}
