package forum_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func TestNotificationRecipients(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	carol := forumtest.Member(t, fx.f, "carol", forum.RoleMember)
	dave := forumtest.Member(t, fx.f, "dave", forum.RoleMember)

	// A reply to the thread tells its author; the replier is told nothing.
	th, opener := fx.thread(t, fx.alice, fx.cat, "Recipients", "opener")
	r1 := fx.reply(t, fx.bob, th.ID, "first reply")
	fx.deliver(t)
	wantStrings(t, "alice after a reply to her thread", fx.notified(t, fx.alice), []string{note(forum.NotificationReply, r1)})
	wantStrings(t, "bob after his own reply", fx.notified(t, fx.bob), []string{})

	// A reply to bob's post tells bob: he watches the thread (he posted in it), but a reply to him
	// is the more specific reason. alice watches the thread she started.
	r2, err := fx.f.CreatePost(fx.ctx, carol.Viewer(), forum.NewPost{ThreadID: th.ID, Body: "answering bob", InReplyToID: &r1.ID})
	if err != nil {
		t.Fatal(err)
	}
	fx.deliver(t)
	wantStrings(t, "bob after carol answered him", fx.notified(t, fx.bob), []string{note(forum.NotificationReply, r2)})
	wantStrings(t, "alice watching", fx.notified(t, fx.alice)[:1], []string{note(forum.NotificationWatching, r2)})

	// A mention tells dave, who never visited; a mention of the author herself tells no one.
	r4 := fx.reply(t, fx.bob, th.ID, "hey @dave and @bob, look")
	fx.deliver(t)
	wantStrings(t, "dave, mentioned", fx.notified(t, dave), []string{note(forum.NotificationMention, r4)})

	// A muted thread is told only of mentions.
	if err := fx.f.SetThreadLevel(fx.ctx, fx.alice.Viewer(), th.ID, forum.Muted); err != nil {
		t.Fatal(err)
	}
	before := len(fx.notified(t, fx.alice))
	r5, err := fx.f.CreatePost(fx.ctx, fx.bob.Viewer(), forum.NewPost{ThreadID: th.ID, Body: "to alice", InReplyToID: &opener.ID})
	if err != nil {
		t.Fatal(err)
	}
	fx.deliver(t)
	if n := len(fx.notified(t, fx.alice)); n != before {
		t.Fatalf("alice muted the thread but got %d new notifications (reply %d)", n-before, r5.ID)
	}
	r6 := fx.reply(t, fx.bob, th.ID, "but @alice, really")
	fx.deliver(t)
	if got := fx.notified(t, fx.alice)[0]; got != note(forum.NotificationMention, r6) {
		t.Fatalf("alice muted the thread; a mention still notifies: got %s", got)
	}
}

func TestCategoryWatchersAndMutersAndWhoMaySee(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	carol := forumtest.Member(t, fx.f, "carol", forum.RoleMember)
	dave := forumtest.Member(t, fx.f, "dave", forum.RoleMember)
	if err := fx.f.SetCategoryLevel(fx.ctx, carol.Viewer(), fx.cat.ID, forum.Watching); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.SetCategoryLevel(fx.ctx, dave.Viewer(), fx.cat.ID, forum.Muted); err != nil {
		t.Fatal(err)
	}
	th, opener := fx.thread(t, fx.bob, fx.cat, "New here", "hello @dave")
	fx.deliver(t)
	wantStrings(t, "carol watches the category", fx.notified(t, carol), []string{note(forum.NotificationNewThread, opener)})
	wantStrings(t, "dave muted it, but was mentioned", fx.notified(t, dave), []string{note(forum.NotificationMention, opener)})
	// A reply is not a new thread: category watchers hear of it only if they watch the thread.
	fx.reply(t, fx.alice, th.ID, "welcome")
	fx.deliver(t)
	if n := len(fx.notified(t, carol)); n != 1 {
		t.Fatalf("carol got %d notifications, want only the new thread", n)
	}
	// dave replies in the muted category: he now watches this thread.
	fx.reply(t, dave, th.ID, "thanks")
	r := fx.reply(t, fx.alice, th.ID, "you're welcome")
	fx.deliver(t)
	if got := fx.notified(t, dave)[0]; got != note(forum.NotificationWatching, r) {
		t.Fatalf("dave took part in a thread of a muted category: got %s, want watching", got)
	}

	// Who may not see the category is told nothing, even when mentioned.
	staff := fx.staffRoom(t)
	_, secret := fx.thread(t, fx.admin, staff, "Staff only", "@carol @molly please look")
	fx.deliver(t)
	if got := fx.notified(t, carol); len(got) != 1 {
		t.Fatalf("carol may not see the staff room but got %v", got)
	}
	wantStrings(t, "the moderator", fx.notified(t, fx.mod), []string{note(forum.NotificationMention, secret)})
}

func TestLikesNotifyOnceAndDeliveryIsIdempotent(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	_, opener := fx.thread(t, fx.alice, fx.cat, "Likes", "like me")
	fx.deliver(t)
	if _, err := fx.f.LikePost(fx.ctx, fx.bob.Viewer(), opener.ID); err != nil {
		t.Fatal(err)
	}
	jobs := takeJobs[forum.NotifyArgs](fx.jobs)
	if len(jobs) != 1 || jobs[0].Event != forum.NotifyLike {
		t.Fatalf("jobs after a like: %+v", jobs)
	}
	for run, want := range []int{1, 0} {
		n, err := fx.f.DeliverNotifications(fx.ctx, jobs[0], siteLink)
		if err != nil || n != want {
			t.Fatalf("run %d of the same job made %d notifications (%v), want %d", run+1, n, err, want)
		}
	}
	wantStrings(t, "alice", fx.notified(t, fx.alice), []string{note(forum.NotificationLike, opener)})
	// A like taken back takes its notification with it; liked again, it is told again, once.
	if _, err := fx.f.UnlikePost(fx.ctx, fx.bob.Viewer(), opener.ID); err != nil {
		t.Fatal(err)
	}
	wantStrings(t, "alice after bob took his like back", fx.notified(t, fx.alice), []string{})
	if _, err := fx.f.LikePost(fx.ctx, fx.bob.Viewer(), opener.ID); err != nil {
		t.Fatal(err)
	}
	fx.deliver(t)
	wantStrings(t, "alice after bob liked again", fx.notified(t, fx.alice), []string{note(forum.NotificationLike, opener)})
	// A like taken back before the job ran tells no one.
	if _, err := fx.f.LikePost(fx.ctx, fx.mod.Viewer(), opener.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.f.UnlikePost(fx.ctx, fx.mod.Viewer(), opener.ID); err != nil {
		t.Fatal(err)
	}
	if n := fx.deliver(t); n != 0 {
		t.Fatalf("a withdrawn like made %d notifications", n)
	}
	// A post deleted before its job ran tells no one either.
	th2, _ := fx.thread(t, fx.bob, fx.cat, "Other", "x")
	fx.deliver(t)
	gone := fx.reply(t, fx.alice, th2.ID, "@carol oops")
	if err := fx.f.DeletePost(fx.ctx, fx.alice.Viewer(), gone.ID, ""); err != nil {
		t.Fatal(err)
	}
	if n := fx.deliver(t); n != 0 {
		t.Fatalf("a deleted post made %d notifications", n)
	}
}

func TestAnEditNotifiesWhomItNewlyMentions(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	carol := forumtest.Member(t, fx.f, "carol", forum.RoleMember)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Edits", "opener")
	r := fx.reply(t, fx.bob, th.ID, "hi @alice")
	fx.deliver(t)
	if _, err := fx.f.EditPost(fx.ctx, fx.bob.Viewer(), r.ID, forum.PostEdit{Body: "hi @alice and @carol"}); err != nil {
		t.Fatal(err)
	}
	jobs := takeJobs[forum.NotifyArgs](fx.jobs)
	if len(jobs) != 1 || jobs[0].Event != forum.NotifyMention || strings.Join(jobs[0].Mentions, ",") != "carol" {
		t.Fatalf("jobs after the edit: %+v, want one mentioning only carol", jobs)
	}
	if _, err := fx.f.DeliverNotifications(fx.ctx, jobs[0], siteLink); err != nil {
		t.Fatal(err)
	}
	wantStrings(t, "carol", fx.notified(t, carol), []string{note(forum.NotificationMention, r)})
	if n := len(fx.notified(t, fx.alice)); n != 1 {
		t.Fatalf("alice, already mentioned, has %d notifications", n)
	}
}

func TestNotificationMailsAreOptInAndOnePerThreadUntilVisited(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Mail me", "opener")
	fx.deliver(t)
	takeJobs[forum.MailArgs](fx.jobs)
	fx.reply(t, fx.bob, th.ID, "one")
	fx.deliver(t)
	if mails := takeJobs[forum.MailArgs](fx.jobs); len(mails) != 0 {
		t.Fatalf("mails are off by default, yet %d were queued", len(mails))
	}
	if on, err := fx.f.EmailNotifications(fx.ctx, fx.alice.Viewer()); err != nil || on {
		t.Fatalf("email notifications %v (%v), want off by default", on, err)
	}
	if err := fx.f.SetEmailNotifications(fx.ctx, fx.alice.Viewer(), true); err != nil {
		t.Fatal(err)
	}
	two := fx.reply(t, fx.bob, th.ID, "two")
	fx.reply(t, fx.bob, th.ID, "three")
	fx.deliver(t)
	mails := takeJobs[forum.MailArgs](fx.jobs)
	if len(mails) != 1 {
		t.Fatalf("%d mails for two replies before a visit, want 1", len(mails))
	}
	m := mails[0]
	if m.To != "alice@example.test" || !strings.Contains(m.Subject, "bob replied to you in “Mail me”") ||
		!strings.Contains(m.Text, siteLink("/p/"+itoa(two.ID))) || !strings.Contains(m.Text, "> two") ||
		!strings.Contains(m.Text, siteLink("/settings/notifications")) {
		t.Fatalf("mail: %+v", m)
	}
	// A visit re-arms the mail.
	if _, err := fx.f.ReadThreadPage(fx.ctx, fx.alice.Viewer(), th.ID, 1); err != nil {
		t.Fatal(err)
	}
	fx.reply(t, fx.bob, th.ID, "four")
	fx.deliver(t)
	if mails := takeJobs[forum.MailArgs](fx.jobs); len(mails) != 1 {
		t.Fatalf("%d mails after a visit, want 1", len(mails))
	}
	// A banned member is mailed nothing (each mail asked them to read where they may not sign
	// in); the notification itself is still made.
	if _, err := fx.f.ReadThreadPage(fx.ctx, fx.alice.Viewer(), th.ID, 1); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.BanMember(fx.ctx, fx.admin.Viewer(), fx.alice.ID, nil, "spam"); err != nil {
		t.Fatal(err)
	}
	fx.reply(t, fx.bob, th.ID, "five")
	fx.deliver(t)
	if mails := takeJobs[forum.MailArgs](fx.jobs); len(mails) != 0 {
		t.Fatalf("%d mails to a banned member, want none", len(mails))
	}
}

func TestNotificationsPageMarkingAndHeaderCounts(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Counts", "opener")
	var replies []forum.Post
	for i := 0; i < 5; i++ {
		replies = append(replies, fx.reply(t, fx.bob, th.ID, fmt.Sprint("reply ", i)))
	}
	fx.deliver(t)
	sess := login(t, fx.f, "alice")
	s, _, err := fx.f.ResumeSession(fx.ctx, sess.Token)
	if err != nil || s.Counts.UnreadNotifications != 5 || s.Counts.OpenReports != 0 {
		t.Fatalf("header counts %+v (%v), want 5 unread", s.Counts, err)
	}
	page1, next, err := fx.f.Notifications(fx.ctx, fx.alice.Viewer(), 0, 3)
	if err != nil || len(page1) != 3 || next == 0 || page1[0].PostID != replies[4].ID || !page1[0].Unread() || !page1[0].Available {
		t.Fatalf("first page: %+v next %d (%v)", page1, next, err)
	}
	page2, next2, err := fx.f.Notifications(fx.ctx, fx.alice.Viewer(), next, 3)
	if err != nil || len(page2) != 2 || next2 != 0 || page2[1].PostID != replies[0].ID {
		t.Fatalf("second page: %+v next %d (%v)", page2, next2, err)
	}
	if err := fx.f.MarkNotificationRead(fx.ctx, fx.alice.Viewer(), page1[0].ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "bob marking alice's", fx.f.MarkNotificationRead(fx.ctx, fx.bob.Viewer(), page1[1].ID), forum.ErrNotFound)
	if s, _, _ := fx.f.ResumeSession(fx.ctx, sess.Token); s.Counts.UnreadNotifications != 4 {
		t.Fatalf("after marking one read: %+v", s.Counts)
	}
	// Reading the thread page marks the notifications about the posts it shows.
	if _, err := fx.f.ReadThreadPage(fx.ctx, fx.alice.Viewer(), th.ID, 1); err != nil {
		t.Fatal(err)
	}
	if s, _, _ := fx.f.ResumeSession(fx.ctx, sess.Token); s.Counts.UnreadNotifications != 0 {
		t.Fatalf("after reading the thread: %+v", s.Counts)
	}
	fx.reply(t, fx.bob, th.ID, "more")
	fx.deliver(t)
	if n, err := fx.f.MarkAllNotificationsRead(fx.ctx, fx.alice.Viewer()); err != nil || n != 1 {
		t.Fatalf("mark all read: %d (%v), want 1", n, err)
	}
	// A notification whose post was deleted stays, without naming the thread.
	last := fx.reply(t, fx.bob, th.ID, "to be deleted")
	fx.deliver(t)
	if err := fx.f.DeletePost(fx.ctx, fx.bob.Viewer(), last.ID, ""); err != nil {
		t.Fatal(err)
	}
	list, _, err := fx.f.Notifications(fx.ctx, fx.alice.Viewer(), 0, 1)
	if err != nil || list[0].Available || strings.Contains(list[0].Sentence(), "Counts") {
		t.Fatalf("notification of a deleted post: %+v (%q)", list, list[0].Sentence())
	}
	// Staff see the open reports in their header counts.
	if _, err := fx.f.FileReport(fx.ctx, fx.alice.Viewer(), forum.NewReport{PostID: replies[0].ID, Reason: "spam"}); err != nil {
		t.Fatal(err)
	}
	modSess := login(t, fx.f, "molly")
	if s, _, _ := fx.f.ResumeSession(fx.ctx, modSess.Token); s.Counts.OpenReports != 1 {
		t.Fatalf("moderator's header counts: %+v", s.Counts)
	}
	if s, _, _ := fx.f.ResumeSession(fx.ctx, sess.Token); s.Counts.OpenReports != 0 {
		t.Fatalf("a member sees the queue's length: %+v", s.Counts)
	}
}

func TestAQuoteTellsTheQuotedAuthor(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	carol := forumtest.Member(t, fx.f, "carol", forum.RoleMember)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Quotes", "opener")
	bobs := fx.reply(t, fx.bob, th.ID, "bob's point")
	carols := fx.reply(t, carol, th.ID, "carol's point")
	fx.deliver(t)

	// The composer's quote of bob's post, which also replies to it: bob is told he was quoted, not
	// that he got a reply. A quote of carol's post written by hand tells carol too.
	quote, err := fx.f.QuoteMarkdown(fx.ctx, fx.alice.Viewer(), bobs.ID)
	if err != nil {
		t.Fatal(err)
	}
	body := quote + fmt.Sprintf("> [carol said](/p/%d)\n> carol's point\n\nBoth right.", carols.ID)
	both, err := fx.f.CreatePost(fx.ctx, fx.alice.Viewer(), forum.NewPost{ThreadID: th.ID, Body: body, InReplyToID: &bobs.ID})
	if err != nil {
		t.Fatal(err)
	}
	fx.deliver(t)
	wantStrings(t, "bob, quoted in a reply to him", fx.notified(t, fx.bob)[:1], []string{note(forum.NotificationQuote, both)})
	wantStrings(t, "carol, quoted", fx.notified(t, carol)[:1], []string{note(forum.NotificationQuote, both)})
	list, _, err := fx.f.Notifications(fx.ctx, carol.Viewer(), 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := list[0].Kind.Sentence(list[0].AuthorName(), list[0].ThreadTitle); got != "alice quoted you in “Quotes”" {
		t.Fatalf("carol's notification reads %q", got)
	}

	// Quoting oneself tells no one; a mention is still the more specific reason.
	self := fx.reply(t, fx.bob, th.ID, fmt.Sprintf("> [me](/p/%d)\n\nagain, @carol", bobs.ID))
	again := fx.reply(t, fx.bob, th.ID, fmt.Sprintf("> [carol](/p/%d)\n\n@carol, see", carols.ID))
	fx.deliver(t)
	if got := fx.notified(t, fx.bob)[0]; got == note(forum.NotificationQuote, self) {
		t.Fatalf("bob was told he quoted himself")
	}
	wantStrings(t, "carol, quoted and mentioned", fx.notified(t, carol)[:2],
		[]string{note(forum.NotificationMention, again), note(forum.NotificationMention, self)})
}

// An edit tells whom it newly mentions or quotes even when they were told of the post before, for
// a weaker reason: the notification becomes a mention (or quote), unread. It tells nobody else
// again: not the author of the post it answers, who was not told at first.
func TestAnEditUpgradesANotificationAndTellsNobodyElse(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	carol := forumtest.Member(t, fx.f, "carol", forum.RoleMember)
	th, opener := fx.thread(t, fx.alice, fx.cat, "Upgrades", "opener")
	carols := fx.reply(t, carol, th.ID, "carol watches now")
	if err := fx.f.SetThreadLevel(fx.ctx, fx.alice.Viewer(), th.ID, forum.Muted); err != nil {
		t.Fatal(err)
	}
	r, err := fx.f.CreatePost(fx.ctx, fx.bob.Viewer(), forum.NewPost{ThreadID: th.ID, Body: "to alice", InReplyToID: &opener.ID})
	if err != nil {
		t.Fatal(err)
	}
	fx.deliver(t)
	wantStrings(t, "carol, watching", fx.notified(t, carol)[:1], []string{note(forum.NotificationWatching, r)})
	if _, err := fx.f.MarkAllNotificationsRead(fx.ctx, carol.Viewer()); err != nil {
		t.Fatal(err)
	}
	aliceBefore := len(fx.notified(t, fx.alice))
	// alice unmutes; bob's edit mentions carol and quotes nobody new.
	if err := fx.f.SetThreadLevel(fx.ctx, fx.alice.Viewer(), th.ID, forum.Tracking); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.f.EditPost(fx.ctx, fx.bob.Viewer(), r.ID, forum.PostEdit{Body: "to alice, cc @carol"}); err != nil {
		t.Fatal(err)
	}
	fx.deliver(t)
	list, _, err := fx.f.Notifications(fx.ctx, carol.Viewer(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if list[0].PostID != r.ID || list[0].Kind != forum.NotificationMention || !list[0].Unread() {
		t.Fatalf("carol after the edit mentioned her: %+v", list[0])
	}
	if n := len(fx.notified(t, fx.alice)); n != aliceBefore {
		t.Fatalf("the edit told alice again of the reply she was not told of (muted): %d notifications, had %d", n, aliceBefore)
	}

	// An edit that quotes carol's post tells her it quotes her; a retried job changes nothing.
	dave := forumtest.Member(t, fx.f, "dave", forum.RoleMember)
	d := fx.reply(t, dave, th.ID, "plain")
	fx.deliver(t)
	if _, err := fx.f.EditPost(fx.ctx, dave.Viewer(), d.ID, forum.PostEdit{Body: fmt.Sprintf("> [carol](/p/%d)\n\nnow quoting", carols.ID)}); err != nil {
		t.Fatal(err)
	}
	jobs := takeJobs[forum.NotifyArgs](fx.jobs)
	for range 2 {
		for _, a := range jobs {
			if _, err := fx.f.DeliverNotifications(fx.ctx, a, siteLink); err != nil {
				t.Fatal(err)
			}
		}
	}
	wantStrings(t, "carol, quoted by an edit", fx.notified(t, carol)[:2],
		[]string{note(forum.NotificationQuote, d), note(forum.NotificationMention, r)})
}

// A notification about a post deleted or hidden no longer counts in the header: its member could
// not open it, and so could never clear it by reading the thread.
func TestNotificationsOfPostsGoneStopCounting(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Gone", "opener")
	deleted := fx.reply(t, fx.bob, th.ID, "@alice one")
	hidden := fx.reply(t, fx.bob, th.ID, "@alice two")
	kept := fx.reply(t, fx.bob, th.ID, "@alice three")
	other, _ := fx.thread(t, fx.bob, fx.cat, "Hidden thread", "@alice four")
	fx.deliver(t)
	unread := func() int { t.Helper(); return fx.unreadNotifications(t, fx.alice) }
	if n := unread(); n != 4 {
		t.Fatalf("%d unread, want 4", n)
	}
	if err := fx.f.DeletePost(fx.ctx, fx.bob.Viewer(), deleted.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.HidePost(fx.ctx, fx.mod.Viewer(), hidden.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.HideThread(fx.ctx, fx.mod.Viewer(), other.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if n := unread(); n != 1 {
		t.Fatalf("%d unread after three of the four posts went, want 1 (post %d)", n, kept.ID)
	}

	// Showing the hidden post and thread again brings their notifications back, unread; the
	// deleted post's stays settled.
	if err := fx.f.HidePost(fx.ctx, fx.mod.Viewer(), hidden.ID, false, ""); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.HideThread(fx.ctx, fx.mod.Viewer(), other.ID, false, ""); err != nil {
		t.Fatal(err)
	}
	if n := unread(); n != 3 {
		t.Fatalf("%d unread after the post and the thread came back, want 3", n)
	}
}

// Undoing a hide restores only what the hide settled: a notification its member had read stays
// read, and one about a thread that went meanwhile where its member may not see it stays settled.
func TestUnhidingRestoresOnlyWhatTheHideSettled(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	unread := func(m forum.Member) int { t.Helper(); return fx.unreadNotifications(t, m) }
	th, _ := fx.thread(t, fx.alice, fx.cat, "Read or not", "opener")
	seen := fx.reply(t, fx.bob, th.ID, "@alice seen")
	fx.reply(t, fx.bob, th.ID, "@alice unseen")
	fx.deliver(t)
	if _, err := fx.pool.Exec(fx.ctx, `UPDATE notifications SET read_at = now() WHERE post_id = $1`, seen.ID); err != nil {
		t.Fatal(err)
	}
	if n := unread(fx.alice); n != 1 {
		t.Fatalf("%d unread before, want 1", n)
	}
	if err := fx.f.HideThread(fx.ctx, fx.mod.Viewer(), th.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.HideThread(fx.ctx, fx.mod.Viewer(), th.ID, false, ""); err != nil {
		t.Fatal(err)
	}
	if n := unread(fx.alice); n != 1 {
		t.Fatalf("%d unread after hiding and showing the thread, want 1 (the one read stays read)", n)
	}

	moved, _ := fx.thread(t, fx.alice, fx.cat, "Moving", "opener")
	fx.reply(t, fx.bob, moved.ID, "@molly @carol look")
	carol := forumtest.Member(t, fx.f, "carol", forum.RoleMember)
	fx.reply(t, fx.bob, moved.ID, "@carol and @molly again")
	fx.deliver(t)
	before, mod := unread(carol), unread(fx.mod)
	if err := fx.f.HideThread(fx.ctx, fx.mod.Viewer(), moved.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.MoveThread(fx.ctx, fx.mod.Viewer(), moved.ID, fx.staffRoom(t).ID); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.HideThread(fx.ctx, fx.mod.Viewer(), moved.ID, false, ""); err != nil {
		t.Fatal(err)
	}
	if after := unread(carol); before == 0 || after != 0 {
		t.Errorf("carol: %d unread before, %d after the thread came back in the staff room; want some and 0", before, after)
	}
	if after := unread(fx.mod); after != mod {
		t.Errorf("the moderator: %d unread before, %d after; want the same", mod, after)
	}
}

// A thread moved to a category a member may not see stops counting in their header; a moderator
// who may see it there keeps theirs.
func TestNotificationsOfAThreadMovedOutOfSightStopCounting(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	staff := fx.staffRoom(t)
	th, _ := fx.thread(t, fx.bob, fx.cat, "Off topic", "opener")
	fx.reply(t, fx.alice, th.ID, "@bob @molly have a look")
	fx.deliver(t)
	unread := func(m forum.Member) int { t.Helper(); return fx.unreadNotifications(t, m) }
	if b, m := unread(fx.bob), unread(fx.mod); b != 1 || m != 1 {
		t.Fatalf("before the move: bob %d, the moderator %d unread, want 1 each", b, m)
	}
	if err := fx.f.MoveThread(fx.ctx, fx.mod.Viewer(), th.ID, staff.ID); err != nil {
		t.Fatal(err)
	}
	if b, m := unread(fx.bob), unread(fx.mod); b != 0 || m != 1 {
		t.Errorf("after the move to the staff room: bob %d, the moderator %d unread, want 0 and 1", b, m)
	}
	// Moved back, the mention bob never saw counts again: it was lost.
	if err := fx.f.MoveThread(fx.ctx, fx.mod.Viewer(), th.ID, fx.cat.ID); err != nil {
		t.Fatal(err)
	}
	if b, m := unread(fx.bob), unread(fx.mod); b != 1 || m != 1 {
		t.Errorf("after the move back: bob %d, the moderator %d unread, want 1 each", b, m)
	}
}

// Closing a category to members, by its permission grid or by putting it under a parent closed to
// them, settles their notifications about its threads and its sub-categories' threads; a
// moderator who still sees them keeps theirs.
func TestNotificationsOfACategoryClosedToMembersStopCounting(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	unread := func(m forum.Member) int { t.Helper(); return fx.unreadNotifications(t, m) }
	parent := fx.category(t, "parent")
	child, err := fx.f.CreateCategory(fx.ctx, forumtest.Admin, forum.NewCategory{Slug: "child", Title: "Child", ParentID: &parent.ID})
	if err != nil {
		t.Fatal(err)
	}
	th, _ := fx.thread(t, fx.bob, child, "In the child", "opener")
	fx.reply(t, fx.alice, th.ID, "@bob @molly have a look")
	fx.deliver(t)
	if b, m := unread(fx.bob), unread(fx.mod); b != 1 || m != 1 {
		t.Fatalf("before: bob %d, the moderator %d unread, want 1 each", b, m)
	}
	closed := []forum.RolePermission{{Role: forum.RoleGuest}, {Role: forum.RoleMember}, {Role: forum.RoleModerator, See: true, Start: true, Reply: true}}
	if err := fx.f.SetPermissionGrid(fx.ctx, forumtest.Admin, parent.ID, closed); err != nil {
		t.Fatal(err)
	}
	if b, m := unread(fx.bob), unread(fx.mod); b != 0 || m != 1 {
		t.Errorf("after closing the parent: bob %d, the moderator %d unread, want 0 and 1", b, m)
	}
	// Opened again, what the closing settled counts again.
	if err := fx.f.SetPermissionGrid(fx.ctx, forumtest.Admin, parent.ID, []forum.RolePermission{
		{Role: forum.RoleGuest, See: true}, {Role: forum.RoleMember, See: true, Start: true, Reply: true},
		{Role: forum.RoleModerator, See: true, Start: true, Reply: true}}); err != nil {
		t.Fatal(err)
	}
	if b, m := unread(fx.bob), unread(fx.mod); b != 1 || m != 1 {
		t.Errorf("after opening the parent again: bob %d, the moderator %d unread, want 1 each", b, m)
	}
	if _, err := fx.f.MarkAllNotificationsRead(fx.ctx, fx.bob.Viewer()); err != nil {
		t.Fatal(err)
	}

	// Moving an open category under the staff room does the same.
	open := fx.category(t, "open")
	th, _ = fx.thread(t, fx.bob, open, "In the open", "opener")
	fx.reply(t, fx.alice, th.ID, "@bob again")
	fx.deliver(t)
	if b := unread(fx.bob); b != 1 {
		t.Fatalf("bob has %d unread before the move, want 1", b)
	}
	staff := fx.staffRoom(t)
	if _, err := fx.f.UpdateCategory(fx.ctx, forumtest.Admin, open.ID, forum.CategoryEdit{Title: "Open", ParentID: &staff.ID}); err != nil {
		t.Fatal(err)
	}
	if b := unread(fx.bob); b != 0 {
		t.Errorf("after moving the category under the staff room: bob %d unread, want 0", b)
	}
}

// A hidden thread is still read by its author and by staff: their notifications about it keep
// counting and stay available, and a moderator's word to the author inside it (how a hide is
// explained) is told to them. Everyone else's are settled, and they are told nothing more.
func TestAHiddenThreadsAuthorIsStillToldOfIt(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	carol := forumtest.Member(t, fx.f, "carol", forum.RoleMember)
	th, _ := fx.thread(t, fx.bob, fx.cat, "Soon hidden", "opener")
	fx.reply(t, fx.alice, th.ID, "@carol look at bob's thread")
	fx.deliver(t)
	unread := func(m forum.Member) int { t.Helper(); return fx.unreadNotifications(t, m) }
	if b, c := unread(fx.bob), unread(carol); b != 1 || c != 1 {
		t.Fatalf("before the hide: bob %d, carol %d unread, want 1 each", b, c)
	}
	if err := fx.f.HideThread(fx.ctx, fx.mod.Viewer(), th.ID, true, "off topic"); err != nil {
		t.Fatal(err)
	}
	if b, c := unread(fx.bob), unread(carol); b != 1 || c != 0 {
		t.Errorf("after the hide: bob %d, carol %d unread, want 1 and 0", b, c)
	}
	if _, err := fx.f.CreatePost(fx.ctx, fx.mod.Viewer(), forum.NewPost{ThreadID: th.ID, Body: "@bob I hid this; please edit it. @carol"}); err != nil {
		t.Fatal(err)
	}
	fx.deliver(t)
	if b, c := unread(fx.bob), unread(carol); b != 2 || c != 0 {
		t.Errorf("after a moderator's word in the hidden thread: bob %d, carol %d unread, want 2 and 0", b, c)
	}
	list, _, err := fx.f.Notifications(fx.ctx, fx.bob.Viewer(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range list {
		if !n.Available {
			t.Errorf("bob's notification %d about his hidden thread is unavailable to him", n.ID)
		}
	}
}

// A moderator made a member no longer sees the staff room: their notifications about it stop
// counting (they could not open them); made a moderator again, they count again.
func TestARoleChangeSettlesAndRestoresWhatItHidesAndShows(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	dave := forumtest.Member(t, fx.f, "dave", forum.RoleModerator)
	fx.thread(t, fx.admin, fx.staffRoom(t), "Staff only", "@dave have a look")
	// A thread hidden, which staff still read, with a mention of dave made in it afterwards.
	hidden, _ := fx.thread(t, fx.alice, fx.cat, "Hidden", "opener")
	if err := fx.f.HideThread(fx.ctx, fx.mod.Viewer(), hidden.ID, true, "spam"); err != nil {
		t.Fatal(err)
	}
	fx.reply(t, fx.admin, hidden.ID, "@dave see why I hid this")
	fx.deliver(t)
	unread := func() int { t.Helper(); return fx.unreadNotifications(t, dave) }
	if n := unread(); n != 2 {
		t.Fatalf("dave has %d unread as a moderator, want 2", n)
	}
	if err := fx.f.SetRole(fx.ctx, fx.admin.Viewer(), dave.ID, forum.RoleMember); err != nil {
		t.Fatal(err)
	}
	if n := unread(); n != 0 {
		t.Errorf("dave has %d unread once a member, want 0", n)
	}
	if err := fx.f.SetRole(fx.ctx, fx.admin.Viewer(), dave.ID, forum.RoleModerator); err != nil {
		t.Fatal(err)
	}
	if n := unread(); n != 1 {
		t.Errorf("dave has %d unread as a moderator again, want 1", n)
	}
}
