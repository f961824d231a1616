package forum_test

import (
	"fmt"
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

// Helpers shared by the tests of unread tracking, notifications, search and reports.

// takeJobs removes the queued jobs of type T and returns them, oldest first.
func takeJobs[T forum.JobArgs](q *queuedJobs) []T {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []T
	kept := q.args[:0]
	for _, a := range q.args {
		if j, ok := a.(T); ok {
			out = append(out, j)
		} else {
			kept = append(kept, a)
		}
	}
	q.args = kept
	return out
}

// siteLink is the absolute-URL maker the notification job gets in production.
func siteLink(path string) string { return "https://forum.example" + path }

// deliver runs every queued notification job, as internal/notify's worker does, and returns how
// many notifications they made.
func (fx *contentFixture) deliver(t *testing.T) int {
	t.Helper()
	made := 0
	for _, a := range takeJobs[forum.NotifyArgs](fx.jobs) {
		n, err := fx.f.DeliverNotifications(fx.ctx, a, siteLink)
		if err != nil {
			t.Fatalf("deliver %+v: %v", a, err)
		}
		made += n
	}
	return made
}

// notified lists m's notifications, newest first, as "kind post-id" strings.
func (fx *contentFixture) notified(t *testing.T, m forum.Member) []string {
	t.Helper()
	list, _, err := fx.f.Notifications(fx.ctx, m.Viewer(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, n := range list {
		out = append(out, fmt.Sprintf("%s %d", n.Kind, n.PostID))
	}
	return out
}

func note(kind forum.NotificationKind, p forum.Post) string { return fmt.Sprintf("%s %d", kind, p.ID) }

// unreadNotifications is the count of unread notifications m's header shows (a fresh session's).
func (fx *contentFixture) unreadNotifications(t *testing.T, m forum.Member) int {
	t.Helper()
	s, _, err := fx.f.ResumeSession(fx.ctx, login(t, fx.f, m.Username).Token)
	if err != nil {
		t.Fatal(err)
	}
	return s.Counts.UnreadNotifications
}

// unread is a thread's unread count for v on the latest list, checked against the category list.
func (fx *contentFixture) unread(t *testing.T, v forum.Viewer, threadID int64) int {
	t.Helper()
	latest, err := fx.f.LatestThreads(fx.ctx, v, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	n := -1
	for _, s := range latest.Threads {
		if s.ID == threadID {
			n = s.Unread
			c, err := fx.f.CategoryByID(fx.ctx, s.CategoryID)
			if err != nil {
				t.Fatal(err)
			}
			list, err := fx.f.CategoryThreads(fx.ctx, v, c, "", 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, s2 := range append(list.Pinned, list.Threads...) {
				if s2.ID == threadID && s2.Unread != n {
					t.Fatalf("thread %d: %d unread on the latest list, %d on its category's", threadID, n, s2.Unread)
				}
			}
		}
	}
	if n < 0 {
		t.Fatalf("thread %d is not on the latest list", threadID)
	}
	return n
}

func wantUnread(t *testing.T, fx *contentFixture, who string, v forum.Viewer, threadID int64, want int) {
	t.Helper()
	if got := fx.unread(t, v, threadID); got != want {
		t.Fatalf("%s: %d unread, want %d", who, got, want)
	}
}

func wantStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
	}
}
