package forum_test

import (
	"context"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// A handle names one actor whatever was fetched last: on Lemmy a community and a user may share a
// name, and @news@lemmy.example is the user there. Refetching either one (any activity of theirs
// does) must not flip what mentions of the handle reach.
func TestAHandleSharedByAPersonAndAGroupNamesThePerson(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	group := forum.RemoteActor{APID: "https://lemmy.example/c/news", Kind: forum.ActorGroup, Username: "news",
		Domain: "lemmy.example", InboxURL: "https://lemmy.example/c/news/inbox"}
	person := forum.RemoteActor{APID: "https://lemmy.example/u/news", Kind: forum.ActorPerson, Username: "News",
		Domain: "lemmy.example", InboxURL: "https://lemmy.example/u/news/inbox"}
	steps := []struct {
		store forum.RemoteActor
		want  string
	}{
		{group, group.APID},   // alone, the group is what the handle names
		{person, person.APID}, // a person of that name comes: the handle is theirs
		{group, person.APID},  // the group fetched again changes nothing
	}
	for i, step := range steps {
		if _, err := f.UpsertRemoteActor(ctx, step.store); err != nil {
			t.Fatal(err)
		}
		got, err := f.RemoteActorByHandle(ctx, "news", "lemmy.example")
		if err != nil || got.APID != step.want {
			t.Fatalf("step %d, after storing %s: news@lemmy.example names %s (%v), want %s", i, step.store.APID, got.APID, err, step.want)
		}
	}
}
