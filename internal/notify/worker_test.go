package notify_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
	"github.com/stoa-forum/stoa/internal/jobtest"
	"github.com/stoa-forum/stoa/internal/notify"
	"github.com/stoa-forum/stoa/internal/testdb"
)

// The whole path through a running River client: a reply inserts the job in its transaction, the
// worker makes the notification and queues the mail, the mail job runs; running the same job
// again notifies no one twice.
func TestWorkerDeliversNotificationsThroughRiver(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	jobs := &jobtest.Jobs{}
	f := forumtest.NewOn(t, pool, forum.Options{Jobs: jobs})
	mails := make(chan forum.MailArgs, 10)
	workers := river.NewWorkers()
	base, _ := url.Parse("https://forum.example")
	river.AddWorker(workers, &notify.Worker{Forum: f, PublicURL: base})
	river.AddWorker(workers, river.WorkFunc(func(_ context.Context, job *river.Job[forum.MailArgs]) error {
		mails <- job.Args
		return nil
	}))
	q := jobtest.Start(t, pool, workers)
	jobs.Client = q.Client

	cat, err := f.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"})
	if err != nil {
		t.Fatal(err)
	}
	alice := forumtest.Member(t, f, "alice", forum.RoleMember)
	bob := forumtest.Member(t, f, "bob", forum.RoleMember)
	if err := f.SetEmailNotifications(ctx, alice.Viewer(), true); err != nil {
		t.Fatal(err)
	}
	th, _, err := f.CreateThread(ctx, alice.Viewer(), forum.NewThread{CategoryID: cat.ID, Title: "Hello", Body: "opener"})
	if err != nil {
		t.Fatal(err)
	}
	reply, err := f.CreatePost(ctx, bob.Viewer(), forum.NewPost{ThreadID: th.ID, Body: "a reply"})
	if err != nil {
		t.Fatal(err)
	}

	// Two notify jobs (opener, reply) and one mail.
	q.WaitFor(t, map[string]int{"notify": 2, "send_mail": 1})
	select {
	case m := <-mails:
		if m.To != "alice@example.test" || !strings.Contains(m.Text, "https://forum.example/p/"+strconv.FormatInt(reply.ID, 10)) {
			t.Fatalf("mail %+v", m)
		}
	default:
		t.Fatal("no mail was sent")
	}
	list, _, err := f.Notifications(ctx, alice.Viewer(), 0, 10)
	if err != nil || len(list) != 1 || list[0].PostID != reply.ID || list[0].Kind != forum.NotificationReply {
		t.Fatalf("alice's notifications %+v (%v)", list, err)
	}

	// River delivers at least once: the same job again changes nothing and mails no one.
	if _, err := q.Client.Insert(ctx, forum.NotifyArgs{Event: forum.NotifyPost, PostID: reply.ID, ActorID: bob.ID}, nil); err != nil {
		t.Fatal(err)
	}
	q.WaitFor(t, map[string]int{"notify": 1})
	if list, _, _ := f.Notifications(ctx, alice.Viewer(), 0, 10); len(list) != 1 {
		t.Fatalf("after the job ran again alice has %d notifications", len(list))
	}
	select {
	case m := <-mails:
		t.Fatalf("a second mail: %+v", m)
	case <-time.After(200 * time.Millisecond):
	}
}
