package forum

import (
	"context"
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
	hash, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	local, err := fx.f.CreateMember(fx.ctx, NewMember{Username: "local", Email: "local@example.test", PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
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
