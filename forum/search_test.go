package forum_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// found lists the ids of the posts a search finds, best first.
func (fx *contentFixture) found(t *testing.T, v forum.Viewer, q forum.SearchQuery) []int64 {
	t.Helper()
	res, err := fx.f.Search(fx.ctx, v, q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	ids := []int64{}
	for _, h := range res.Hits {
		ids = append(ids, h.Post.ID)
	}
	return ids
}

func wantIDs(t *testing.T, what string, got []int64, want ...int64) {
	t.Helper()
	if len(want) == 0 {
		want = []int64{}
	}
	wantStrings(t, what, idStrings(got), idStrings(want))
}

func idStrings(ids []int64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = itoa(id)
	}
	return out
}

func joined(fs []forum.Fragment) (text, marked string) {
	var a, b strings.Builder
	for _, f := range fs {
		a.WriteString(f.Text)
		if f.Match {
			b.WriteString("[" + f.Text + "]")
		} else {
			b.WriteString(f.Text)
		}
	}
	return a.String(), b.String()
}

func TestSearchRanksTitlesAboveBodiesAndHighlights(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	_, inBody := fx.thread(t, fx.bob, fx.cat, "Miscellany", "Notes: if a < b & c, autovacuum > all.")
	_, inTitle := fx.thread(t, fx.alice, fx.cat, "Tuning autovacuum", "My settings are below.")
	res, err := fx.f.Search(fx.ctx, fx.bob.Viewer(), forum.SearchQuery{Text: "autovacuum"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 2 || res.Hits[0].Post.ID != inTitle.ID || res.Hits[1].Post.ID != inBody.ID {
		t.Fatalf("hits %+v, want the title match first", res.Hits)
	}
	if res.Hits[0].Rank <= res.Hits[1].Rank {
		t.Fatalf("ranks %v, %v", res.Hits[0].Rank, res.Hits[1].Rank)
	}
	if _, marked := joined(res.Hits[0].Title); marked != "Tuning [autovacuum]" {
		t.Fatalf("title %q", marked)
	}
	text, marked := joined(res.Hits[1].Snippet)
	if !strings.Contains(marked, "c, [autovacuum]") {
		t.Fatalf("snippet %q", marked)
	}
	// The snippet is the post's text, never its markup: the escaped source comes back as text for
	// the page to escape again.
	if !strings.Contains(text, "a < b & c, autovacuum") || strings.Contains(text, "&lt;") || strings.Contains(text, "&amp;") {
		t.Fatalf("snippet text %q", text)
	}
	if res.Hits[0].Thread.Title != "Tuning autovacuum" || res.Hits[0].ThreadAuthor.AuthorUsername != "alice" ||
		res.Hits[0].CategorySlug != "general" || res.Hits[0].Post.AuthorUsername != "alice" {
		t.Fatalf("hit: %+v", res.Hits[0])
	}
	// Phrases and exclusions (web search syntax), and stems.
	wantIDs(t, "phrase", fx.found(t, forum.Guest, forum.SearchQuery{Text: `"tuning autovacuum"`}), inTitle.ID)
	wantIDs(t, "exclusion", fx.found(t, forum.Guest, forum.SearchQuery{Text: "autovacuum -settings"}), inBody.ID)
	wantIDs(t, "stem", fx.found(t, forum.Guest, forum.SearchQuery{Text: "tune"}), inTitle.ID)
	// A renamed thread is found by its new title only.
	if _, err := fx.f.EditPost(fx.ctx, fx.alice.Viewer(), inTitle.ID, forum.PostEdit{Body: "My settings are below.", Title: ptr("Vacuum settings")}); err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "old title", fx.found(t, forum.Guest, forum.SearchQuery{Text: "tuning"}))
	wantIDs(t, "new title", fx.found(t, forum.Guest, forum.SearchQuery{Text: "vacuum settings"}), inTitle.ID)
	// An edit re-indexes the text.
	if _, err := fx.f.EditPost(fx.ctx, fx.bob.Viewer(), inBody.ID, forum.PostEdit{Body: "Nothing about it any more."}); err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "after the edit", fx.found(t, forum.Guest, forum.SearchQuery{Text: "autovacuum"}))
}

func ptr[T any](v T) *T { return &v }

func TestSearchFiltersAndPages(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	other := fx.category(t, "other")
	sub, err := fx.f.CreateCategory(fx.ctx, forumtest.Admin, forum.NewCategory{Slug: "sub", Title: "Sub", ParentID: &other.ID})
	if err != nil {
		t.Fatal(err)
	}
	_, a := fx.thread(t, fx.alice, fx.cat, "Kettles in general", "kettle talk")
	_, b := fx.thread(t, fx.bob, other, "Kettles elsewhere", "kettle talk")
	_, c := fx.thread(t, fx.bob, sub, "Kettles below", "kettle talk")
	if _, err := fx.pool.Exec(fx.ctx, `UPDATE posts SET created_at = '2025-01-15T12:00:00Z' WHERE id = $1`, a.ID); err != nil {
		t.Fatal(err)
	}
	q := func(mod func(*forum.SearchQuery)) forum.SearchQuery {
		s := forum.SearchQuery{Text: "kettle"}
		mod(&s)
		return s
	}
	all := fx.found(t, fx.alice.Viewer(), q(func(*forum.SearchQuery) {}))
	if len(all) != 3 {
		t.Fatalf("found %v, want 3 posts", all)
	}
	wantIDs(t, "category with its sub-category", fx.found(t, forum.Guest, q(func(s *forum.SearchQuery) { s.Category = "other" })), c.ID, b.ID)
	wantIDs(t, "sub-category", fx.found(t, forum.Guest, q(func(s *forum.SearchQuery) { s.Category = "sub" })), c.ID)
	wantIDs(t, "author", fx.found(t, forum.Guest, q(func(s *forum.SearchQuery) { s.Author = "@Alice" })), a.ID)
	wantIDs(t, "before", fx.found(t, forum.Guest, q(func(s *forum.SearchQuery) { s.Before = "2025-02-01" })), a.ID)
	wantIDs(t, "after", fx.found(t, forum.Guest, q(func(s *forum.SearchQuery) { s.After = "2025-02-01" })), c.ID, b.ID)
	wantIDs(t, "range", fx.found(t, forum.Guest, q(func(s *forum.SearchQuery) { s.After = "2025-01-15"; s.Before = "2025-01-16" })), a.ID)

	// Pages never overlap and end with an empty cursor.
	var paged []int64
	cursor := ""
	for i := 0; i < 5; i++ {
		res, err := fx.f.Search(fx.ctx, forum.Guest, forum.SearchQuery{Text: "kettle", Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Hits {
			paged = append(paged, h.Post.ID)
		}
		if cursor = res.Next; cursor == "" {
			break
		}
	}
	wantIDs(t, "paged", paged, all...)

	for _, bad := range []struct {
		q     forum.SearchQuery
		field string
	}{
		{forum.SearchQuery{Text: "  "}, "q"},
		{forum.SearchQuery{Text: strings.Repeat("x", forum.MaxSearchLen+1)}, "q"},
		{forum.SearchQuery{Text: "the and of"}, "q"},
		{forum.SearchQuery{Text: "-kettle"}, "q"},
		{forum.SearchQuery{Text: "kettle", Author: "nobody"}, "author"},
		{forum.SearchQuery{Text: "kettle", Category: "nowhere"}, "category"},
		{forum.SearchQuery{Text: "kettle", After: "15/01/2025"}, "after"},
		{forum.SearchQuery{Text: "kettle", After: "2025-02-01", Before: "2025-01-01"}, "before"},
		{forum.SearchQuery{Text: "kettle", Cursor: "x_1"}, "cursor"},
		{forum.SearchQuery{Text: "kettle", Cursor: "NaN_1"}, "cursor"},
		{forum.SearchQuery{Text: "kettle", Cursor: "Inf_5"}, "cursor"},
		{forum.SearchQuery{Text: "kettle", Cursor: "-Inf_5"}, "cursor"},
		{forum.SearchQuery{Text: "kettle", Cursor: "-0.5_5"}, "cursor"},
	} {
		_, err := fx.f.Search(fx.ctx, forum.Guest, bad.q)
		wantInvalid(t, "search "+bad.q.Text, err, bad.field)
	}
}

func TestSearchFindsOnlyWhatTheSearcherMayRead(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	staff := fx.staffRoom(t)
	_, secret := fx.thread(t, fx.mod, staff, "Walrus policy", "walrus")
	th, public := fx.thread(t, fx.alice, fx.cat, "Walrus sightings", "walrus")
	hidden := fx.reply(t, fx.bob, th.ID, "walrus hidden")
	deleted := fx.reply(t, fx.bob, th.ID, "walrus deleted")
	hiddenThread, _ := fx.thread(t, fx.bob, fx.cat, "Walrus spam", "walrus")
	if err := fx.f.HidePost(fx.ctx, fx.mod.Viewer(), hidden.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.DeletePost(fx.ctx, fx.bob.Viewer(), deleted.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.HideThread(fx.ctx, fx.mod.Viewer(), hiddenThread.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "a guest", fx.found(t, forum.Guest, forum.SearchQuery{Text: "walrus"}), public.ID)
	wantIDs(t, "the author of hidden posts", fx.found(t, fx.bob.Viewer(), forum.SearchQuery{Text: "walrus"}), public.ID)
	got := fx.found(t, fx.mod.Viewer(), forum.SearchQuery{Text: "walrus"})
	if len(got) != 2 || !containsID(got, secret.ID) || !containsID(got, public.ID) {
		t.Fatalf("moderator found %v, want the staff post and the public one", got)
	}
	_, err := fx.f.Search(fx.ctx, fx.alice.Viewer(), forum.SearchQuery{Text: "walrus", Category: "staff_room"})
	wantInvalid(t, "a member naming a hidden category", err, "category")
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func TestSynonymsApplyAtIndexAndQueryTimeAndReindexInTheBackground(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	_, before := fx.thread(t, fx.alice, fx.cat, "Databases", "We run Postgres in production.")
	wantIDs(t, "no synonyms yet", fx.found(t, forum.Guest, forum.SearchQuery{Text: "pg"}))

	queued, err := fx.f.SetSearchSynonyms(fx.ctx, forumtest.Admin, "pg, postgres, PostgreSQL\n\nk8s, kubernetes\n")
	if err != nil || !queued {
		t.Fatalf("set synonyms: queued %v, %v", queued, err)
	}
	groups, err := fx.f.SearchSynonyms(fx.ctx, forumtest.Admin)
	if err != nil || forum.FormatSynonyms(groups) != "pg, postgres, postgresql\nk8s, kubernetes" {
		t.Fatalf("stored groups %q (%v)", forum.FormatSynonyms(groups), err)
	}
	// A new post is indexed with the list at once; the older one waits for the re-index job.
	_, after := fx.thread(t, fx.bob, fx.cat, "Clusters", "Our PostgreSQL runs on k8s.")
	wantIDs(t, "before the re-index", fx.found(t, forum.Guest, forum.SearchQuery{Text: "pg"}), after.ID)
	jobs := takeJobs[forum.SearchReindexArgs](fx.jobs)
	if len(jobs) != 1 {
		t.Fatalf("%d re-index jobs, want 1", len(jobs))
	}
	if n, err := fx.f.ReindexSearchBatch(fx.ctx, jobs[0]); err != nil || n != 1 {
		t.Fatalf("re-index rewrote %d (%v), want the one older post", n, err)
	}
	for _, q := range []string{"pg", "postgres", "postgresql", "PG"} {
		got := fx.found(t, forum.Guest, forum.SearchQuery{Text: q})
		if len(got) != 2 {
			t.Fatalf("%q found %v, want both posts", q, got)
		}
	}
	var doc string
	if err := fx.pool.QueryRow(fx.ctx, `SELECT document::text FROM post_search WHERE post_id = $1`, before.ID).Scan(&doc); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(doc, "'pg'") || strings.Contains(doc, "'postgr'") {
		t.Fatalf("the older post's document after the re-index: %s", doc)
	}
	// Snippets highlight the words as written.
	res, err := fx.f.Search(fx.ctx, forum.Guest, forum.SearchQuery{Text: "pg"})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hits {
		_, marked := joined(h.Snippet)
		if !strings.Contains(marked, "[Postgres]") && !strings.Contains(marked, "[PostgreSQL]") {
			t.Fatalf("snippet %q does not mark the synonym", marked)
		}
	}
	// Taking a group out makes its documents stale again; the job restores what was written.
	if _, err := fx.f.SetSearchSynonyms(fx.ctx, forumtest.Admin, "k8s, kubernetes"); err != nil {
		t.Fatal(err)
	}
	for _, j := range takeJobs[forum.SearchReindexArgs](fx.jobs) {
		if _, err := fx.f.ReindexSearchBatch(fx.ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	wantIDs(t, "pg without synonyms", fx.found(t, forum.Guest, forum.SearchQuery{Text: "pg"}))
	wantIDs(t, "postgres without synonyms", fx.found(t, forum.Guest, forum.SearchQuery{Text: "postgres"}), before.ID)
	wantIDs(t, "kubernetes", fx.found(t, forum.Guest, forum.SearchQuery{Text: "kubernetes"}), after.ID)

	for _, bad := range []string{"pg", "pg, the", "full-text, fts", "pg, postgres\npostgresql, postgres"} {
		_, err := fx.f.SetSearchSynonyms(fx.ctx, forumtest.Admin, bad)
		wantInvalid(t, "synonyms "+bad, err, "synonyms")
	}
	_, err = fx.f.SetSearchSynonyms(fx.ctx, fx.mod.Viewer(), "a, b")
	wantErr(t, "a moderator", err, forum.ErrForbidden)
}

func TestReindexRunsInBatches(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Many", "opener")
	// 600 posts mentioning postgres, written straight into the tables: creating them one by one
	// would be slow and is not what this test is about.
	if _, err := fx.pool.Exec(fx.ctx, `WITH p AS (
			INSERT INTO posts (thread_id, author_id, position, source, html)
			SELECT $1, $2, g, 'postgres', '<p>postgres</p>' FROM generate_series(2, 601) g RETURNING id)
		INSERT INTO post_search (post_id, body, document) SELECT id, 'postgres', stoa_search_document(NULL, 'postgres') FROM p`,
		th.ID, fx.alice.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.pool.Exec(fx.ctx, `UPDATE threads SET post_count = 601 WHERE id = $1`, th.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.f.SetSearchSynonyms(fx.ctx, forumtest.Admin, "pg, postgres"); err != nil {
		t.Fatal(err)
	}
	batches, total := 0, 0
	for jobs := takeJobs[forum.SearchReindexArgs](fx.jobs); len(jobs) > 0; jobs = takeJobs[forum.SearchReindexArgs](fx.jobs) {
		for _, j := range jobs {
			n, err := fx.f.ReindexSearchBatch(fx.ctx, j)
			if err != nil {
				t.Fatal(err)
			}
			batches, total = batches+1, total+n
		}
	}
	if batches != 2 || total != 600 {
		t.Fatalf("%d batches rewrote %d documents, want 2 batches and 600", batches, total)
	}
	var stale int
	if err := fx.pool.QueryRow(fx.ctx, `SELECT count(*) FROM post_search WHERE document @@ 'postgr'::tsquery`).Scan(&stale); err != nil || stale != 0 {
		t.Fatalf("%d documents still hold the old lexeme (%v)", stale, err)
	}
}

// A search ranks the newest matches only (Options.SearchCandidates, here 3 of 5): the best of
// those, paged as usual, and the results say that more matched. A search within the bound is not
// narrowed, and a filter applies before the bound, so an author's older posts are still found.
func TestSearchRanksTheNewestMatchesAndSaysWhenMoreMatched(t *testing.T) {
	t.Parallel()
	fx := newContentFixtureWith(t, forum.Options{SearchCandidates: 3})
	th, _ := fx.thread(t, fx.alice, fx.cat, "Chisels", "opener")
	var posts []forum.Post
	for _, body := range []string{"chisel one chisel chisel", "chisel two", "chisel three", "chisel four", "chisel five"} {
		posts = append(posts, fx.reply(t, fx.bob, th.ID, body))
	}
	first, err := fx.f.Search(fx.ctx, fx.bob.Viewer(), forum.SearchQuery{Text: "chisel", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !first.Narrowed || len(first.Hits) != 2 || first.Next == "" {
		t.Fatalf("first page: %d hits, narrowed %v, next %q; want 2, true, a cursor", len(first.Hits), first.Narrowed, first.Next)
	}
	second, err := fx.f.Search(fx.ctx, fx.bob.Viewer(), forum.SearchQuery{Text: "chisel", Limit: 2, Cursor: first.Next})
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, h := range append(first.Hits, second.Hits...) {
		got = append(got, h.Post.ID)
	}
	// The three newest are ranked; the oldest, which says chisel three times, is not among them.
	wantIDs(t, "the newest three, over two pages", sortedIDs(got), posts[2].ID, posts[3].ID, posts[4].ID)
	if second.Next != "" {
		t.Errorf("a third page after the three candidates: %q", second.Next)
	}
	// Narrowed by author, alice's one post is found, and the search is not narrowed.
	only, err := fx.f.Search(fx.ctx, fx.bob.Viewer(), forum.SearchQuery{Text: "chisels", Author: "alice"})
	if err != nil || len(only.Hits) != 1 || only.Narrowed {
		t.Fatalf("alice's posts: %d hits, narrowed %v, %v; want 1, false", len(only.Hits), only.Narrowed, err)
	}
	// The author's newest come first for the bound too (their index's order): bob's three newest.
	byBob := fx.found(t, fx.bob.Viewer(), forum.SearchQuery{Text: "chisel", Author: "bob", Limit: 50})
	wantIDs(t, "bob's newest three", sortedIDs(byBob), posts[2].ID, posts[3].ID, posts[4].ID)
}

func sortedIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}
