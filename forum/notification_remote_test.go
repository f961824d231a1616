package forum

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// jobRecorder keeps the jobs a Forum queues.
type jobRecorder struct {
	mu   sync.Mutex
	jobs []JobArgs
}

func (r *jobRecorder) InsertTx(_ context.Context, _ pgx.Tx, a JobArgs) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.jobs = append(r.jobs, a)
	return nil
}

// A remote author's post, arriving through insertPost like every remote post will, notifies the
// local members it mentions and replies to; the remote author gets no notification and no mail,
// and a post published long before it arrived (a backfilled thread) notifies no one.
func TestRemotePostsNotifyLocalMembers(t *testing.T) {
	t.Parallel()
	fx := newInsertFixture(t)
	jobs := &jobRecorder{}
	fx.f.jobs = jobs
	local := fx.member(t, "local")
	if err := fx.f.SetEmailNotifications(fx.ctx, local.Viewer(), true); err != nil {
		t.Fatal(err)
	}
	insert := func(at time.Time, apID string, replyTo *int64, mentions []Mention) placedPost {
		t.Helper()
		var placed placedPost
		err := fx.f.inTx(fx.ctx, func(tx pgx.Tx) error {
			var err error
			placed, err = fx.f.insertPost(fx.ctx, tx, postInsert{ThreadID: fx.threadID, AuthorID: fx.authorID, APID: apID,
				InReplyToID: replyTo, Source: "<p>hi</p>", SourceKind: "html", HTML: "<p>hi</p>", CreatedAt: at, Mentions: mentions})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return placed
	}
	run := func() int {
		t.Helper()
		jobs.mu.Lock()
		queued := jobs.jobs
		jobs.jobs = nil
		jobs.mu.Unlock()
		made := 0
		for _, j := range queued {
			if a, ok := j.(NotifyArgs); ok {
				n, err := fx.f.DeliverNotifications(fx.ctx, a, func(p string) string { return "https://here.example" + p })
				if err != nil {
					t.Fatal(err)
				}
				made += n
			}
		}
		return made
	}
	insert(time.Now().Add(-time.Minute), "https://remote.example/p/1", nil, nil)
	mention := insert(time.Now(), "https://remote.example/p/2", nil,
		[]Mention{{Username: "local"}, {Username: "someone", Domain: "remote.example"}})
	if n := run(); n != 1 {
		t.Fatalf("%d notifications, want 1 (the local member mentioned)", n)
	}
	var kind string
	var actor int64
	if err := fx.f.db.QueryRow(fx.ctx, `SELECT kind, actor_id FROM notifications WHERE member_id = $1 AND post_id = $2`,
		local.ID, mention.ID).Scan(&kind, &actor); err != nil || kind != "mention" || actor != fx.authorID {
		t.Fatalf("notification %q by %d (%v)", kind, actor, err)
	}
	jobs.mu.Lock()
	mails := 0
	for _, j := range jobs.jobs {
		if _, ok := j.(MailArgs); ok {
			mails++
		}
	}
	jobs.jobs = nil
	jobs.mu.Unlock()
	if mails != 1 {
		t.Fatalf("%d mails for the mention, want 1", mails)
	}

	// The local member replies to the remote post; the remote author is told nothing here.
	reply, err := fx.f.CreatePost(fx.ctx, local.Viewer(), NewPost{ThreadID: fx.threadID, Body: "hello back", InReplyToID: &mention.ID})
	if err != nil {
		t.Fatal(err)
	}
	if n := run(); n != 0 {
		t.Fatalf("a reply to a remote author made %d notifications", n)
	}
	// A remote reply to the member's post tells them.
	insert(time.Now(), "https://remote.example/p/3", &reply.ID, nil)
	if n := run(); n != 1 {
		t.Fatalf("a remote reply to a member made %d notifications, want 1", n)
	}
	// Backfill: a post published weeks before it arrives queues no notification job at all.
	insert(time.Now().Add(-30*24*time.Hour), "https://remote.example/p/0", nil, []Mention{{Username: "local"}})
	jobs.mu.Lock()
	queued := len(jobs.jobs)
	jobs.mu.Unlock()
	if queued != 0 {
		t.Fatalf("a backfilled post queued %d jobs", queued)
	}
}

// With Options.Link, a remote post's notifications are made in the transaction that stores it
// (the inbox's apply job): they are there when CreateRemotePost returns, no notification job is
// queued, and the mails carry the site's links. A new remote thread tells the category's
// watchers, a remote reply tells the member it answers, and a backfilled post tells no one.
func TestRemotePostsNotifyInTheTransactionThatStoresThem(t *testing.T) {
	t.Parallel()
	fx := newInsertFixture(t)
	jobs := &jobRecorder{}
	fx.f.jobs = jobs
	fx.f.link = func(p string) string { return "https://here.example" + p }
	watcher, replied := fx.member(t, "watcher"), fx.member(t, "replied")
	if err := fx.f.SetCategoryLevel(fx.ctx, watcher.Viewer(), fx.catID, Watching); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.SetEmailNotifications(fx.ctx, replied.Viewer(), true); err != nil {
		t.Fatal(err)
	}
	taken := func() (notify, mails []JobArgs) {
		jobs.mu.Lock()
		defer jobs.mu.Unlock()
		for _, j := range jobs.jobs {
			switch j.(type) {
			case NotifyArgs:
				notify = append(notify, j)
			case MailArgs:
				mails = append(mails, j)
			}
		}
		jobs.jobs = nil
		return notify, mails
	}
	notified := func(m Member) []string {
		t.Helper()
		list, _, err := fx.f.Notifications(fx.ctx, m.Viewer(), 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range list {
			out = append(out, fmt.Sprintf("%s %d", n.Kind, n.PostID))
		}
		return out
	}

	opener, _, err := fx.f.CreateRemotePost(fx.ctx, RemotePost{APID: "https://remote.example/p/topic", AuthorID: fx.authorID,
		Thread: &RemoteThread{CategoryID: fx.catID}, HTML: "<p>A new topic</p>", Published: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := notified(watcher), []string{fmt.Sprintf("new_thread %d", opener)}; !slices.Equal(got, want) {
		t.Fatalf("the category's watcher has %v, want %v", got, want)
	}
	if notify, _ := taken(); len(notify) != 0 {
		t.Fatalf("%d notification jobs queued for a remote opener, want none", len(notify))
	}

	answered, err := fx.f.CreatePost(fx.ctx, replied.Viewer(), NewPost{ThreadID: fx.threadID, Body: "a member's post"})
	if err != nil {
		t.Fatal(err)
	}
	taken() // the member's own post queues its job, as local posts do
	reply, _, err := fx.f.CreateRemotePost(fx.ctx, RemotePost{APID: "https://remote.example/p/answer", AuthorID: fx.authorID,
		InReplyToID: answered.ID, HTML: "<p>an answer</p>", Published: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := notified(replied), []string{fmt.Sprintf("reply %d", reply)}; !slices.Equal(got, want) {
		t.Fatalf("the member answered has %v, want %v", got, want)
	}
	notify, mails := taken()
	if len(notify) != 0 || len(mails) != 1 {
		t.Fatalf("%d notification jobs and %d mails queued for a remote reply, want 0 and 1", len(notify), len(mails))
	}
	if m := mails[0].(MailArgs); m.To != "replied@example.test" || !strings.Contains(m.Text, fmt.Sprintf("https://here.example/p/%d", reply)) {
		t.Fatalf("the mail goes to %s and says %q", m.To, m.Text)
	}

	// Backfill: published weeks ago, it tells no one.
	if _, _, err := fx.f.CreateRemotePost(fx.ctx, RemotePost{APID: "https://remote.example/p/old", AuthorID: fx.authorID,
		InReplyToID: answered.ID, HTML: "<p>old</p>", Published: time.Now().Add(-30 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if got := notified(replied); len(got) != 1 {
		t.Fatalf("after a backfilled reply the member has %v, want only the first reply's", got)
	}
}
