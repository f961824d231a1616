package forum_test

import (
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

// A remote account that deletes itself takes its posts with it, and settles what they left behind
// as deleting each would: the unread counts of those who opened their threads skip them, the
// notifications they caused stop counting, and a thread's last post is the last one still there.
func TestARemoteAccountsDeletionSettlesWhatItsPostsLeft(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	ghost := fx.remotePerson(t, "social.example", "ghost")
	th, opener := fx.thread(t, fx.alice, fx.cat, "Visited", "opener")
	if _, err := fx.f.ReadThreadPage(fx.ctx, fx.alice.Viewer(), th.ID, 1); err != nil { // alice has opened it
		t.Fatal(err)
	}
	for i, body := range []string{"<p>@alice boo</p>", "<p>again</p>"} {
		if _, _, err := fx.f.CreateRemotePost(fx.ctx, forum.RemotePost{APID: "https://social.example/notes/" + string(rune('1'+i)),
			AuthorID: ghost.ID, InReplyToID: opener.ID, Published: time.Now(), HTML: body, Mentions: []string{"alice"}}); err != nil {
			t.Fatal(err)
		}
	}
	fx.deliver(t)
	unreadNotes := func() int { t.Helper(); return fx.unreadNotifications(t, fx.alice) }
	if u, n := fx.unread(t, fx.alice.Viewer(), th.ID), unreadNotes(); u != 2 || n == 0 {
		t.Fatalf("before: %d unread posts, %d unread notifications; want 2 and some", u, n)
	}

	if n, err := fx.f.DeleteRemoteActor(fx.ctx, ghost.ID); err != nil || n != 2 {
		t.Fatalf("deleted %d posts (%v), want 2", n, err)
	}
	if u, n := fx.unread(t, fx.alice.Viewer(), th.ID), unreadNotes(); u != 0 || n != 0 {
		t.Errorf("after: %d unread posts, %d unread notifications; want 0 and 0", u, n)
	}
	tv, err := fx.f.ThreadByID(fx.ctx, fx.alice.Viewer(), th.ID)
	if err != nil || tv.LastPostID == nil || *tv.LastPostID != opener.ID {
		t.Errorf("the thread's last post is not the opener %d (%v)", opener.ID, err)
	}
}

// A reply from another server that tags the author it answers, as Mastodon's always do, tells
// them of a reply, not a mention; someone else it tags is mentioned.
func TestARemoteReplyTaggingWhomItAnswersIsAReply(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	rex := fx.remotePerson(t, "social.example", "rex")
	th, _ := fx.thread(t, fx.bob, fx.cat, "Asked", "opener")
	asked := fx.reply(t, fx.alice, th.ID, "a question")
	id, _, err := fx.f.CreateRemotePost(fx.ctx, forum.RemotePost{APID: "https://social.example/notes/9", AuthorID: rex.ID,
		InReplyToID: asked.ID, Published: time.Now(), HTML: "<p>@alice @bob an answer</p>", Mentions: []string{"alice", "bob"}})
	if err != nil {
		t.Fatal(err)
	}
	fx.deliver(t)
	answer := forum.Post{ID: id}
	wantStrings(t, "alice, answered", fx.notified(t, fx.alice)[:1], []string{note(forum.NotificationReply, answer)})
	wantStrings(t, "bob, tagged", fx.notified(t, fx.bob)[:1], []string{note(forum.NotificationMention, answer)})
}

// remotePerson stores a person of host, as the inbox would on first contact.
func (fx *contentFixture) remotePerson(t *testing.T, host, user string) forum.Actor {
	t.Helper()
	id := "https://" + host + "/users/" + user
	a, err := fx.f.UpsertRemoteActor(fx.ctx, forum.RemoteActor{APID: id, Kind: forum.ActorPerson, Username: user, Domain: host,
		InboxURL: id + "/inbox"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}
