package federation

import (
	"context"
	"errors"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func TestResolveHandleThroughWebFingerAndProbeNodeInfo(t *testing.T) {
	t.Parallel()
	alpha, beta := newInstances(t, false)
	ctx := context.Background()
	forumtest.Member(t, beta.forum, "bob", forum.RoleMember)

	bob, err := alpha.fed.Actors.ResolveHandle(ctx, "Bob", "BETA.test")
	if err != nil || bob.APID != "http://beta.test/u/bob" || bob.Domain != "beta.test" {
		t.Fatalf("resolve bob@beta.test: %+v, %v", bob, err)
	}
	if beta.served("/.well-known/webfinger") != 1 || beta.served("/u/bob") != 1 {
		t.Fatalf("beta served webfinger %d, actor %d times", beta.served("/.well-known/webfinger"), beta.served("/u/bob"))
	}
	// The second time the cache answers.
	if again, err := alpha.fed.Actors.ResolveHandle(ctx, "bob", "beta.test"); err != nil || again.ID != bob.ID {
		t.Fatalf("again: %+v, %v", again, err)
	}
	if beta.served("/.well-known/webfinger") != 1 {
		t.Fatal("the cached actor was looked up again")
	}
	if _, err := alpha.fed.Actors.ResolveHandle(ctx, "nobody", "beta.test"); !errors.Is(err, forum.ErrNotFound) {
		t.Fatalf("unknown handle: %v", err)
	}
	// A budget bounds the lookups one publication may cause.
	budget := WithFetchBudget(ctx, 0)
	if _, err := alpha.fed.Actors.ResolveHandle(budget, "carla", "beta.test"); !errors.Is(err, ErrFetchBudget) {
		t.Fatalf("without budget: %v", err)
	}

	w := &ProbeDomainWorker{Fetcher: alpha.fed.Fetcher, Forum: alpha.forum}
	if err := w.Work(ctx, probeJob("beta.test", 1)); err != nil {
		t.Fatal(err)
	}
	d, err := alpha.forum.DomainByName(ctx, "beta.test")
	if err != nil || d.Software != "stoa" || !d.ForumSoftware() || d.SoftwareVersion != "test" {
		t.Fatalf("beta.test: %+v, %v", d, err)
	}
	// A server without NodeInfo is left unknown, and the job does not fail.
	if err := w.Work(ctx, probeJob("nowhere.invalid", 1)); err != nil {
		t.Fatal(err)
	}
}
