package searchindex_test

import (
	"context"
	"testing"

	"github.com/riverqueue/river"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
	"github.com/stoa-forum/stoa/internal/jobtest"
	"github.com/stoa-forum/stoa/internal/searchindex"
	"github.com/stoa-forum/stoa/internal/testdb"
)

// A synonym change queues the job in its transaction; River works it, and the post written before
// the change is found by the new synonym.
func TestWorkerReindexesThroughRiver(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	jobs := &jobtest.Jobs{}
	f := forumtest.NewOn(t, pool, forum.Options{Jobs: jobs})
	workers := river.NewWorkers()
	river.AddWorker(workers, &searchindex.Worker{Forum: f})
	// Posts queue notification jobs too; this test only needs them to run.
	river.AddWorker(workers, river.WorkFunc(func(context.Context, *river.Job[forum.NotifyArgs]) error { return nil }))
	q := jobtest.Start(t, pool, workers)
	jobs.Client = q.Client

	cat, err := f.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"})
	if err != nil {
		t.Fatal(err)
	}
	alice := forumtest.Member(t, f, "alice", forum.RoleMember)
	_, post, err := f.CreateThread(ctx, alice.Viewer(), forum.NewThread{CategoryID: cat.ID, Title: "Databases", Body: "We like postgres."})
	if err != nil {
		t.Fatal(err)
	}
	q.WaitFor(t, map[string]int{"notify": 1})
	found := func() []forum.SearchHit {
		t.Helper()
		res, err := f.Search(ctx, forum.Guest, forum.SearchQuery{Text: "pg"})
		if err != nil {
			t.Fatal(err)
		}
		return res.Hits
	}
	if hits := found(); len(hits) != 0 {
		t.Fatalf("found %d before the synonyms", len(hits))
	}
	if _, err := f.SetSearchSynonyms(ctx, forumtest.Admin, "pg, postgres"); err != nil {
		t.Fatal(err)
	}
	q.WaitFor(t, map[string]int{"search_reindex": 1})
	if hits := found(); len(hits) != 1 || hits[0].Post.ID != post.ID {
		t.Fatalf("found %+v after the job ran, want post %d", hits, post.ID)
	}
}
