package forum_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

// walk pages through a list with the given page size and returns the thread ids in order.
func walk(t *testing.T, page func(cursor string) (forum.ThreadList, error)) ([]int64, int) {
	t.Helper()
	var ids []int64
	cursor, pages := "", 0
	for {
		list, err := page(cursor)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, th := range list.Threads {
			ids = append(ids, th.ID)
		}
		if list.Next == "" {
			return ids, pages
		}
		if pages > 100 {
			t.Fatal("the cursor never ends")
		}
		cursor = list.Next
	}
}

func TestKeysetListsHandleTiesOnLastActivity(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	other := fx.category(t, "other")
	var all []int64
	for i := 0; i < 7; i++ {
		th, _ := fx.thread(t, fx.alice, fx.cat, "general "+itoa(int64(i)), "b")
		all = append(all, th.ID)
	}
	o, _ := fx.thread(t, fx.bob, other, "elsewhere", "b")
	all = append(all, o.ID)
	// Five threads share one instant: only the id can order them, and a page boundary falls among them.
	tie := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	if _, err := fx.pool.Exec(fx.ctx, `UPDATE threads SET last_post_at = $1 WHERE id = ANY($2)`, tie, all[1:6]); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.pool.Exec(fx.ctx, `UPDATE threads SET last_post_at = $1 WHERE id = $2`, tie.Add(time.Hour), all[0]); err != nil {
		t.Fatal(err)
	}

	latest, pages := walk(t, func(c string) (forum.ThreadList, error) { return fx.f.LatestThreads(fx.ctx, forum.Guest, c, 2) })
	// Newest first: the two untouched threads (created now), then all[0] (tie + 1h), then the tied
	// five by descending id.
	want := []int64{all[7], all[6], all[0], all[5], all[4], all[3], all[2], all[1]}
	if !slices.Equal(latest, want) {
		t.Fatalf("latest order %v, want %v", latest, want)
	}
	if pages != 4 {
		t.Errorf("%d pages of 2 for 8 threads, want 4", pages)
	}
	inCat, _ := walk(t, func(c string) (forum.ThreadList, error) {
		return fx.f.CategoryThreads(fx.ctx, forum.Guest, fx.cat, c, 3)
	})
	if !slices.Equal(inCat, []int64{all[6], all[0], all[5], all[4], all[3], all[2], all[1]}) {
		t.Fatalf("category order %v", inCat)
	}
	_, err := fx.f.LatestThreads(fx.ctx, forum.Guest, "not-a-cursor", 2)
	wantInvalid(t, "bad cursor", err, "cursor")
}

func TestPinnedThreadsComeFirstOnce(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	var ids []int64
	for i := 0; i < 4; i++ {
		th, _ := fx.thread(t, fx.alice, fx.cat, "t"+itoa(int64(i)), "b")
		ids = append(ids, th.ID)
	}
	wantErr(t, "member pins", fx.f.PinThread(fx.ctx, fx.alice.Viewer(), ids[0], true), forum.ErrForbidden)
	if err := fx.f.PinThread(fx.ctx, fx.mod.Viewer(), ids[0], true); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.PinThread(fx.ctx, fx.mod.Viewer(), ids[0], true); err != nil { // again: no-op
		t.Fatal(err)
	}
	first, err := fx.f.CategoryThreads(fx.ctx, forum.Guest, fx.cat, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Pinned) != 1 || first.Pinned[0].ID != ids[0] || !first.Pinned[0].Pinned() {
		t.Fatalf("pinned %+v", first.Pinned)
	}
	rest, _ := walk(t, func(c string) (forum.ThreadList, error) {
		return fx.f.CategoryThreads(fx.ctx, forum.Guest, fx.cat, c, 2)
	})
	if slices.Contains(rest, ids[0]) || len(rest) != 3 {
		t.Fatalf("unpinned list %v repeats the pinned thread or misses one", rest)
	}
	second, err := fx.f.CategoryThreads(fx.ctx, forum.Guest, fx.cat, first.Next, 2)
	if err != nil || len(second.Pinned) != 0 {
		t.Fatalf("pinned threads repeated on page 2: %+v (%v)", second.Pinned, err)
	}
	// Latest does not pin.
	latest, err := fx.f.LatestThreads(fx.ctx, forum.Guest, "", 10)
	if err != nil || len(latest.Pinned) != 0 || len(latest.Threads) != 4 {
		t.Fatalf("latest: %d pinned, %d threads (%v)", len(latest.Pinned), len(latest.Threads), err)
	}
	if err := fx.f.PinThread(fx.ctx, fx.mod.Viewer(), ids[0], false); err != nil {
		t.Fatal(err)
	}
	if got := fx.activities(t, ids[0]); !slices.Equal(got, []forum.Verb{forum.VerbCreate, forum.VerbPin, forum.VerbUnpin}) {
		t.Errorf("activities %v", got)
	}
}

func TestListsShowAuthorsAndLastPoster(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Who posted last", "b")
	fx.reply(t, fx.bob, th.ID, "me")
	list, err := fx.f.LatestThreads(fx.ctx, forum.Guest, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	s := list.Threads[0]
	if s.AuthorHandle() != "alice" || s.LastPosterUsername != "bob" || s.CategorySlug != "general" || s.PostCount != 2 {
		t.Fatalf("summary %+v", s)
	}
}

func TestMoveThread(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	dest := fx.category(t, "dest")
	th, _ := fx.thread(t, fx.alice, fx.cat, "Wrong place", "b")
	fx.reply(t, fx.bob, th.ID, "r")
	wantErr(t, "member moves", fx.f.MoveThread(fx.ctx, fx.alice.Viewer(), th.ID, dest.ID), forum.ErrForbidden)
	wantInvalid(t, "to nowhere", fx.f.MoveThread(fx.ctx, fx.mod.Viewer(), th.ID, 987654), "category")
	if err := fx.f.MoveThread(fx.ctx, fx.mod.Viewer(), th.ID, dest.ID); err != nil {
		t.Fatal(err)
	}
	src, _ := fx.f.CategoryByID(fx.ctx, fx.cat.ID)
	dst, _ := fx.f.CategoryByID(fx.ctx, dest.ID)
	if src.ThreadCount != 0 || src.PostCount != 0 || src.LastPostAt != nil || dst.ThreadCount != 1 || dst.PostCount != 2 || dst.LastPostAt == nil {
		t.Fatalf("counters after move: src %d/%d/%v dst %d/%d/%v", src.ThreadCount, src.PostCount, src.LastPostAt,
			dst.ThreadCount, dst.PostCount, dst.LastPostAt)
	}
	var verb forum.Verb
	var catID, from int64
	if err := fx.pool.QueryRow(fx.ctx, `SELECT verb, category_id, (details->>'from')::bigint FROM activities
		WHERE thread_id = $1 ORDER BY id DESC LIMIT 1`, th.ID).Scan(&verb, &catID, &from); err != nil {
		t.Fatal(err)
	}
	if verb != forum.VerbMove || catID != dest.ID || from != fx.cat.ID {
		t.Fatalf("move activity %s to %d from %d", verb, catID, from)
	}
	if got := fx.modActions(t); !slices.Equal(got, []string{"move_thread"}) {
		t.Errorf("moderation log %v", got)
	}
}
