package forum_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

// A thread mirrored from another server knows its context collection and Group, and remembers how
// far its history was read; a local thread has no mirror.
func TestThreadMirrorAndSyncState(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	group := remoteActor(t, fx.f, forum.ActorGroup, "general", "alpha.example", true)
	author := remoteActor(t, fx.f, forum.ActorPerson, "al", "alpha.example", true)
	mirror, err := fx.f.EnsureRemoteCategory(fx.ctx, group.ID)
	if err != nil {
		t.Fatal(err)
	}
	postID, _, err := fx.f.CreateRemotePost(fx.ctx, forum.RemotePost{APID: "https://alpha.example/p/1", AuthorID: author.ID,
		HTML: "<p>Hello</p>", Published: time.Now(),
		Thread: &forum.RemoteThread{CategoryID: mirror.ID, Title: "Hello", APID: "https://alpha.example/t/1"}})
	if err != nil {
		t.Fatal(err)
	}
	place, err := fx.f.PostPlaceByID(fx.ctx, postID)
	if err != nil {
		t.Fatal(err)
	}
	m, err := fx.f.ThreadMirror(fx.ctx, place.ThreadID)
	if err != nil || m.ContextIRI != "https://alpha.example/t/1" || m.GroupID != group.ID || m.HistoryPage != "" || m.HistorySeen != 0 {
		t.Fatalf("mirror before any sync: %+v, %v", m, err)
	}
	for _, seen := range []int{3, 7} { // saved twice: the second replaces the first
		if err := fx.f.SaveThreadSync(fx.ctx, place.ThreadID, "https://alpha.example/t/1/history?page=1", seen); err != nil {
			t.Fatal(err)
		}
	}
	if m, err = fx.f.ThreadMirror(fx.ctx, place.ThreadID); err != nil || m.HistoryPage != "https://alpha.example/t/1/history?page=1" || m.HistorySeen != 7 {
		t.Fatalf("mirror after syncs: %+v, %v", m, err)
	}
	local, _ := fx.thread(t, fx.alice, fx.cat, "Local", "text")
	if _, err := fx.f.ThreadMirror(fx.ctx, local.ID); !errors.Is(err, forum.ErrNotFound) {
		t.Fatalf("a local thread's mirror: %v, want ErrNotFound", err)
	}
	if err := fx.f.SaveThreadSync(fx.ctx, place.ThreadID, "", -1); err == nil {
		t.Fatal("a negative history count was saved")
	}
}
