package federation

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func TestPostActivitiesCreateUpdateDeleteLike(t *testing.T) {
	t.Parallel()
	fx := newDocFixture(t, false)
	th, opener := fx.thread(t, fx.alice, "Hello", "First.")
	reply := fx.reply(t, fx.bob, th.ID, "Second.", nil)
	postID := "https://forum.example/p/" + itoa(opener.ID)

	create := fx.activityOf(t, forum.VerbCreate)
	b, doc, dec := fx.build(t, create)
	if dec.Type != "Create" || dec.Actor != "https://forum.example/u/bob" || dec.ID != "https://forum.example/activities/"+itoa(create.ID) ||
		b.Signer.ID != fx.bob.ID || b.ObjectID != "https://forum.example/p/"+itoa(reply.ID) || b.Group == nil || b.Group.ID != fx.cat.ActorID {
		t.Fatalf("create: %+v / %+v", dec, b)
	}
	if o, _ := dec.FirstObject(); !o.Embedded() || o.Type != "Note" {
		t.Fatalf("create embeds %+v", o)
	}
	wantFields(t, "create", doc, map[string]any{"to": []string{PublicCollection}, "audience": "https://forum.example/c/general"})

	// An edit by a moderator is the author's Update, with updated set (Mastodon ignores it otherwise).
	if _, err := fx.f.EditPost(fx.ctx, fx.mod.Viewer(), opener.ID, forum.PostEdit{Body: "First, edited."}); err != nil {
		t.Fatal(err)
	}
	b, doc, dec = fx.build(t, fx.activityOf(t, forum.VerbUpdate))
	if dec.Type != "Update" || dec.Actor != "https://forum.example/u/alice" || b.Signer.ID != fx.alice.ID ||
		field(doc, "object", "updated") == nil || field(doc, "object", "type") != "Article" {
		t.Fatalf("update: %s", b.Body)
	}

	if _, err := fx.f.LikePost(fx.ctx, fx.bob.Viewer(), opener.ID); err != nil {
		t.Fatal(err)
	}
	like := fx.activityOf(t, forum.VerbLike)
	_, doc, dec = fx.build(t, like)
	wantFields(t, "like", doc, map[string]any{"type": "Like", "actor": "https://forum.example/u/bob", "object": postID,
		"to": []string{"https://forum.example/u/alice"}})
	if _, err := fx.f.UnlikePost(fx.ctx, fx.bob.Viewer(), opener.ID); err != nil {
		t.Fatal(err)
	}
	_, doc, _ = fx.build(t, fx.activityOf(t, forum.VerbUndoLike))
	wantFields(t, "undo like", doc, map[string]any{"type": "Undo", "object.type": "Like",
		"object.id": "https://forum.example/activities/" + itoa(like.ID), "object.object": postID})

	// A moderator's deletion is the author's Delete of a Tombstone, with the reason.
	if err := fx.f.DeletePost(fx.ctx, fx.mod.Viewer(), reply.ID, "off topic"); err != nil {
		t.Fatal(err)
	}
	b, doc, _ = fx.build(t, fx.activityOf(t, forum.VerbDelete))
	wantFields(t, "delete", doc, map[string]any{"type": "Delete", "actor": "https://forum.example/u/bob",
		"object.type": "Tombstone", "object.formerType": "Note", "object.id": "https://forum.example/p/" + itoa(reply.ID),
		"summary": "off topic"})
	if b.Signer.ID != fx.bob.ID || strings.Contains(string(b.Body), "Second.") {
		t.Fatalf("delete: signer %d, body %s", b.Signer.ID, b.Body)
	}
	// The Create of a deleted post is no longer built: the deletion won.
	if _, err := fx.docs.Activity(fx.ctx, create, false); err == nil {
		t.Fatal("built the Create of a deleted post")
	}
}

func TestFollowActivities(t *testing.T) {
	t.Parallel()
	fx := newDocFixture(t, false)
	fo, err := fx.f.AddRemoteFollower(fx.ctx, forum.RemoteFollow{FollowerID: fx.carol.ID, TargetID: fx.cat.ActorID, APID: "https://gts.example/f/1"})
	if err != nil {
		t.Fatal(err)
	}
	_, doc, dec := fx.build(t, fx.activityOf(t, forum.VerbAccept))
	wantFields(t, "accept", doc, map[string]any{"type": "Accept", "actor": "https://forum.example/c/general",
		"to": []string{carolID}, "object": map[string]any{"id": "https://gts.example/f/1", "type": "Follow", "actor": carolID,
			"object": "https://forum.example/c/general"}})
	if o, _ := dec.FirstObject(); o.ID != "https://gts.example/f/1" {
		t.Fatalf("accept decodes to %+v", dec)
	}
	admin := forumtest.Member(t, fx.f, "ada", forum.RoleAdmin)
	if err := fx.f.RejectFollow(fx.ctx, admin.Viewer(), fo.ID); err != nil {
		t.Fatal(err)
	}
	_, doc, _ = fx.build(t, fx.activityOf(t, forum.VerbReject))
	wantFields(t, "reject", doc, map[string]any{"type": "Reject", "object.id": "https://gts.example/f/1", "object.actor": carolID})

	mine, err := fx.f.FollowRemote(fx.ctx, fx.alice.Viewer(), fx.carol.ID)
	if err != nil {
		t.Fatal(err)
	}
	follow := fx.activityOf(t, forum.VerbFollow)
	_, doc, _ = fx.build(t, follow)
	wantFields(t, "follow", doc, map[string]any{"type": "Follow", "actor": "https://forum.example/u/alice", "object": carolID,
		"id": "https://forum.example/activities/" + itoa(*mine.FollowActivityID)})
	if err := fx.f.Unfollow(fx.ctx, fx.alice.Viewer(), fx.carol.ID); err != nil {
		t.Fatal(err)
	}
	_, doc, _ = fx.build(t, fx.activityOf(t, forum.VerbUndoFollow))
	wantFields(t, "undo follow", doc, map[string]any{"type": "Undo", "object.type": "Follow",
		"object.id": "https://forum.example/activities/" + itoa(follow.ID), "object.object": carolID, "to": []string{carolID}})
}

func TestModerationAndActorActivities(t *testing.T) {
	t.Parallel()
	fx := newDocFixture(t, false)
	th, opener := fx.thread(t, fx.alice, "Hello", "First.")
	openerID := "https://forum.example/p/" + itoa(opener.ID)
	if err := fx.f.LockThread(fx.ctx, fx.mod.Viewer(), th.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	_, doc, _ := fx.build(t, fx.activityOf(t, forum.VerbLock))
	wantFields(t, "lock", doc, map[string]any{"type": "Lock", "actor": "https://forum.example/u/molly", "object": openerID,
		"audience": "https://forum.example/c/general", "cc": []string{"https://forum.example/c/general"}})
	if err := fx.f.LockThread(fx.ctx, fx.mod.Viewer(), th.ID, false, ""); err != nil {
		t.Fatal(err)
	}
	_, doc, _ = fx.build(t, fx.activityOf(t, forum.VerbUnlock))
	wantFields(t, "unlock", doc, map[string]any{"type": "Undo", "object.type": "Lock", "object.object": openerID})
	if err := fx.f.PinThread(fx.ctx, fx.mod.Viewer(), th.ID, true); err != nil {
		t.Fatal(err)
	}
	_, doc, _ = fx.build(t, fx.activityOf(t, forum.VerbPin))
	wantFields(t, "pin", doc, map[string]any{"type": "Add", "object": openerID, "target": "https://forum.example/c/general/featured"})
	if err := fx.f.PinThread(fx.ctx, fx.mod.Viewer(), th.ID, false); err != nil {
		t.Fatal(err)
	}
	_, doc, _ = fx.build(t, fx.activityOf(t, forum.VerbUnpin))
	wantFields(t, "unpin", doc, map[string]any{"type": "Remove", "target": "https://forum.example/c/general/featured"})
	other, err := fx.f.CreateCategory(fx.ctx, forumtest.Admin, forum.NewCategory{Slug: "workshop", Title: "Workshop"})
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.f.MoveThread(fx.ctx, fx.mod.Viewer(), th.ID, other.ID); err != nil {
		t.Fatal(err)
	}
	b, doc, _ := fx.build(t, fx.activityOf(t, forum.VerbMove))
	wantFields(t, "move", doc, map[string]any{"type": "Move", "object": "https://forum.example/t/" + itoa(th.ID),
		"origin": "https://forum.example/c/general", "target": "https://forum.example/c/workshop"})
	if b.Group == nil || b.Group.ID != other.ActorID {
		t.Fatalf("move happens in %+v", b.Group)
	}
	// A category's change is an Update of its Group, by the Group.
	if _, err := fx.f.UpdateCategory(fx.ctx, forumtest.Admin, other.ID, forum.CategoryEdit{Title: "The workshop"}); err != nil {
		t.Fatal(err)
	}
	b, doc, _ = fx.build(t, fx.activityOf(t, forum.VerbUpdate))
	wantFields(t, "group update", doc, map[string]any{"type": "Update", "actor": "https://forum.example/c/workshop",
		"object.type": "Group", "object.name": "The workshop", "object.id": "https://forum.example/c/workshop",
		"cc": []string{"https://forum.example/c/workshop/followers"}})
	if b.Signer.ID != other.ActorID || field(doc, "object", "@context") != nil || field(doc, "object", "publicKey", "publicKeyPem") == nil {
		t.Fatalf("group update: %s", b.Body)
	}
}

func TestFlagAndRelayedAnnounce(t *testing.T) {
	t.Parallel()
	fx := newDocFixture(t, false)
	inst, err := fx.f.InstanceActor(fx.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var flagID int64
	if err := fx.pool.QueryRow(fx.ctx, `INSERT INTO activities (verb, actor_id, target_actor_id, details)
		VALUES ('flag', $1, $2, '{"comment": "spam", "objects": ["https://gts.example/statuses/1", "javascript:x"]}') RETURNING id`,
		fx.alice.ID, fx.carol.ID).Scan(&flagID); err != nil {
		t.Fatal(err)
	}
	flag, _ := fx.f.ActivityByID(fx.ctx, flagID)
	b, doc, _ := fx.build(t, flag)
	wantFields(t, "flag", doc, map[string]any{"type": "Flag", "actor": "https://forum.example/actor", "content": "spam",
		"object": []string{carolID, "https://gts.example/statuses/1"}, "to": []string{carolID}})
	if b.Signer.ID != inst.ID {
		t.Fatalf("a report is signed by %d, not the instance actor", b.Signer.ID)
	}

	// A category relays an activity it accepted byte for byte.
	raw := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://gts.example/a/1","type":"Create",` +
		`"actor":"https://gts.example/users/carol","object":{"id":"https://gts.example/n/1","type":"Note","content":"hi"},  "zz":1}`)
	var inboundID, relayID int64
	if err := fx.pool.QueryRow(fx.ctx, `INSERT INTO inbound_activities (ap_id, type, actor_ap_id, payload)
		VALUES ('https://gts.example/a/1', 'Create', $1, $2) RETURNING id`, carolID, raw).Scan(&inboundID); err != nil {
		t.Fatal(err)
	}
	if err := fx.pool.QueryRow(fx.ctx, `INSERT INTO activities (verb, actor_id, category_id, details)
		VALUES ('announce', $1, $2, jsonb_build_object('inbound', $3::bigint)) RETURNING id`, fx.cat.ActorID, fx.cat.ID, inboundID).Scan(&relayID); err != nil {
		t.Fatal(err)
	}
	relay, _ := fx.f.ActivityByID(fx.ctx, relayID)
	b, doc, dec := fx.build(t, relay)
	if !bytes.Contains(b.Body, raw) || dec.Type != "Announce" || doc["actor"] != "https://forum.example/c/general" ||
		b.ObjectID != "https://gts.example/a/1" {
		t.Fatalf("relay: %s", b.Body)
	}
}

func TestDerivedAnnounces(t *testing.T) {
	t.Parallel()
	fx := newDocFixture(t, false)
	_, opener := fx.thread(t, fx.alice, "Hello", "First.")
	create := fx.activityOf(t, forum.VerbCreate)
	body, built, err := fx.docs.ActivityBody(fx.ctx, create, false)
	if err != nil {
		t.Fatal(err)
	}
	group, _ := fx.f.ActorByID(fx.ctx, fx.cat.ActorID)
	ann, err := fx.docs.AnnounceActivity(create.ID, "announce", group, body, "https://forum.example/c/general", create)
	if err != nil {
		t.Fatal(err)
	}
	boost, err := fx.docs.AnnounceObject(create.ID, "boost", group, built.ObjectID, "https://forum.example/c/general", create)
	if err != nil {
		t.Fatal(err)
	}
	var a, bo map[string]any
	_ = json.Unmarshal(ann, &a)
	_ = json.Unmarshal(boost, &bo)
	wantFields(t, "announce", a, map[string]any{"id": "https://forum.example/activities/" + itoa(create.ID) + "/announce",
		"type": "Announce", "actor": "https://forum.example/c/general", "object.id": "https://forum.example/activities/" + itoa(create.ID),
		"cc": []string{"https://forum.example/c/general/followers"}})
	if !bytes.Contains(ann, body) {
		t.Error("the Announce does not embed the Create byte for byte")
	}
	wantFields(t, "boost", bo, map[string]any{"object": "https://forum.example/p/" + itoa(opener.ID), "type": "Announce"})

	// Stored, the activity and its derived documents dereference at their ids, byte for byte.
	if _, err := fx.f.SetActivityDocument(fx.ctx, forum.ActivityDocument{ActivityID: create.ID, Name: "announce", ActorID: group.ID, Payload: ann}); err != nil {
		t.Fatal(err)
	}
	resp, _, got := fx.get(t, "/activities/"+itoa(create.ID), false)
	if resp.StatusCode != 200 || !bytes.Equal(got, body) {
		t.Fatalf("GET activity: %d %s", resp.StatusCode, got)
	}
	resp, _, got = fx.get(t, "/activities/"+itoa(create.ID)+"/announce", false)
	if resp.StatusCode != 200 || !bytes.Equal(got, ann) {
		t.Fatalf("GET announce: %d %s", resp.StatusCode, got)
	}
	if resp, _, _ := fx.get(t, "/activities/"+itoa(create.ID)+"/nothing", false); resp.StatusCode != 404 {
		t.Fatalf("GET of an unknown document: %d", resp.StatusCode)
	}
	// Deleting the post makes its Create gone.
	if err := fx.f.DeletePost(fx.ctx, fx.alice.Viewer(), opener.ID, ""); err != nil {
		t.Fatal(err)
	}
	if resp, doc, _ := fx.get(t, "/activities/"+itoa(create.ID), false); resp.StatusCode != 410 || doc["type"] != "Tombstone" {
		t.Fatalf("GET the Create of a deleted post: %d %v", resp.StatusCode, doc)
	}
}

func TestAddressedActivitiesAreServedOnlyToTheirAddressee(t *testing.T) {
	t.Parallel()
	fx := newDocFixture(t, false)
	if _, err := fx.f.AddRemoteFollower(fx.ctx, forum.RemoteFollow{FollowerID: fx.zoe.ID, TargetID: fx.cat.ActorID, APID: "https://social.example/f/1"}); err != nil {
		t.Fatal(err)
	}
	zoeAccept := fx.activityOf(t, forum.VerbAccept)
	if _, err := fx.f.AddRemoteFollower(fx.ctx, forum.RemoteFollow{FollowerID: fx.carol.ID, TargetID: fx.cat.ActorID, APID: "https://gts.example/f/1"}); err != nil {
		t.Fatal(err)
	}
	carolAccept := fx.activityOf(t, forum.VerbAccept)
	if resp, _, _ := fx.get(t, "/activities/"+itoa(carolAccept.ID), false); resp.StatusCode != 404 {
		t.Fatalf("unsigned GET of an Accept: %d", resp.StatusCode)
	}
	if resp, doc, _ := fx.get(t, "/activities/"+itoa(carolAccept.ID), true); resp.StatusCode != 200 || doc["type"] != "Accept" {
		t.Fatalf("carol's server reading her Accept: %d %v", resp.StatusCode, doc)
	}
	if resp, _, _ := fx.get(t, "/activities/"+itoa(zoeAccept.ID), true); resp.StatusCode != 404 {
		t.Fatalf("carol's server reading zoe's Accept: %d", resp.StatusCode)
	}
}

func TestContextRepliesHistoryAndOutboxCollections(t *testing.T) {
	t.Parallel()
	fx := newDocFixture(t, false)
	th, opener := fx.thread(t, fx.alice, "Hello", "First.")
	var replies []forum.Post
	for i := 0; i < postPageSize+2; i++ {
		replies = append(replies, fx.reply(t, fx.bob, th.ID, "reply "+itoa(int64(i)), nil))
	}
	answer := fx.reply(t, fx.alice, th.ID, "to the first reply", &replies[0].ID)
	if err := fx.f.HidePost(fx.ctx, fx.mod.Viewer(), replies[1].ID, true, ""); err != nil {
		t.Fatal(err)
	}
	tp := "/t/" + itoa(th.ID)
	resp, doc, _ := fx.get(t, tp, false)
	if resp.StatusCode != 200 {
		t.Fatalf("context: %d", resp.StatusCode)
	}
	wantFields(t, "context", doc, map[string]any{"id": "https://forum.example" + tp, "type": "OrderedCollection",
		"totalItems": postPageSize + 3, "attributedTo": "https://forum.example/c/general",
		"first": "https://forum.example" + tp + "?page=1", "contextHistory": "https://forum.example" + tp + "/history"})
	etag := resp.Header.Get("ETag")
	if resp, _, _ := fx.get(t, tp, false, func(r *http.Request) { r.Header.Set("If-None-Match", etag) }); resp.StatusCode != 304 {
		t.Fatalf("If-None-Match: %d", resp.StatusCode)
	}
	_, page, _ := fx.get(t, tp+"?page=1", false)
	items := anyStrings(page["orderedItems"])
	if len(items) != postPageSize || items[0] != "https://forum.example/p/"+itoa(opener.ID) ||
		items[1] != "https://forum.example/p/"+itoa(replies[0].ID) || items[2] != "https://forum.example/p/"+itoa(replies[2].ID) {
		t.Fatalf("first page: %v", items[:3])
	}
	_, page2, _ := fx.get(t, strings.TrimPrefix(page["next"].(string), "https://forum.example"), false)
	if rest := anyStrings(page2["orderedItems"]); len(rest) != 3 || rest[2] != "https://forum.example/p/"+itoa(answer.ID) || page2["next"] != nil {
		t.Fatalf("second page: %v next %v", rest, page2["next"])
	}
	// Another post changes the ETag.
	fx.reply(t, fx.bob, th.ID, "one more", nil)
	if resp, _, _ := fx.get(t, tp, false, func(r *http.Request) { r.Header.Set("If-None-Match", etag) }); resp.StatusCode != 200 {
		t.Fatalf("a new post kept the ETag: %d", resp.StatusCode)
	}

	// The replies of the first reply: only the answer to it.
	_, rdoc, _ := fx.get(t, "/p/"+itoa(replies[0].ID)+"/replies", false)
	_, rpage, _ := fx.get(t, "/p/"+itoa(replies[0].ID)+"/replies?page=1", false)
	if rdoc["totalItems"] != float64(1) || !equalStrings(anyStrings(rpage["orderedItems"]), []string{"https://forum.example/p/" + itoa(answer.ID)}) {
		t.Fatalf("replies: %v / %v", rdoc, rpage["orderedItems"])
	}

	_, hist, _ := fx.get(t, tp+"/history", false)
	_, hpage, _ := fx.get(t, tp+"/history?page=1", false)
	if hist["totalItems"] != float64(postPageSize+5) || len(anyStrings(hpage["orderedItems"])) != postPageSize {
		t.Fatalf("history: %v, %d items", hist["totalItems"], len(anyStrings(hpage["orderedItems"])))
	}

	_, out, _ := fx.get(t, "/u/alice/outbox", false)
	_, opage, _ := fx.get(t, "/u/alice/outbox?page=1", false)
	if out["totalItems"] != float64(2) || len(anyStrings(opage["orderedItems"])) != 2 {
		t.Fatalf("alice's outbox: %v / %v", out, opage["orderedItems"])
	}

	// Pages are keyset pages reached by next links: a page number this server never gave out is
	// refused, not answered with page 1 under page 1's id (a peer checks the id is what it fetched).
	for _, path := range []string{tp + "?page=3", tp + "/history?page=2", "/p/" + itoa(replies[0].ID) + "/replies?page=0",
		"/u/alice/outbox?page=true", "/u/alice/followers?page=2"} {
		if resp, _, body := fx.get(t, path, false); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("GET %s: %d %s, want 422", path, resp.StatusCode, body)
		}
	}
}

func TestFollowersSynchronization(t *testing.T) {
	t.Parallel()
	// Mastodon's digest: the XOR of the SHA-256 of each id, whatever the order.
	a := FollowersDigest([]string{"https://x.example/users/a", "https://x.example/users/b"})
	if a != FollowersDigest([]string{"https://x.example/users/b", "https://x.example/users/a"}) || len(a) != 64 ||
		FollowersDigest(nil) != strings.Repeat("0", 64) || a == FollowersDigest([]string{"https://x.example/users/a"}) {
		t.Fatalf("digest %s", a)
	}
	fx := newDocFixture(t, false)
	for _, r := range []forum.Actor{fx.carol, fx.zoe} {
		if _, err := fx.f.AddRemoteFollower(fx.ctx, forum.RemoteFollow{FollowerID: r.ID, TargetID: fx.alice.ID, APID: r.APID + "/f"}); err != nil {
			t.Fatal(err)
		}
	}
	if resp, _, _ := fx.get(t, "/u/alice/followers_synchronization", false); resp.StatusCode != 401 {
		t.Fatalf("unsigned: %d", resp.StatusCode)
	}
	resp, doc, _ := fx.get(t, "/u/alice/followers_synchronization", true)
	if resp.StatusCode != 200 || !equalStrings(anyStrings(doc["orderedItems"]), []string{carolID}) {
		t.Fatalf("carol's server sees %d %v, want only gts.example's followers", resp.StatusCode, doc)
	}
	header, err := fx.iris.CollectionSynchronization(fx.alice.Actor, FollowersDigest([]string{carolID}))
	if err != nil || header != `collectionId="https://forum.example/u/alice/followers", url="https://forum.example/u/alice/followers_synchronization", digest="`+FollowersDigest([]string{carolID})+`"` {
		t.Fatalf("header %q, %v", header, err)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
