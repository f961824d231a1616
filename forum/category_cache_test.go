package forum

import (
	"context"
	"testing"
	"time"
)

// Cached category definitions (category_cache.go) follow changes made by another process: a
// reordering (a column migration 0020's trigger does not watch, so ReorderCategory notifies
// itself) and a retitling reach a listening Forum long before the snapshot's TTL.
func TestCategoryDefinitionChangesReachOtherProcesses(t *testing.T) {
	t.Parallel()
	writer, reader, admin := twoProcesses(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	parent, err := writer.CreateCategory(ctx, admin, NewCategory{Slug: "general", Title: "General"})
	if err != nil {
		t.Fatal(err)
	}
	var subs []int64
	for _, slug := range []string{"first", "second"} {
		c, err := writer.CreateCategory(ctx, admin, NewCategory{Slug: slug, Title: slug, ParentID: &parent.ID})
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, c.ID)
	}

	done := listen(t, ctx, reader)
	slugs := func() string {
		cs, err := reader.VisibleSubCategories(ctx, Guest, parent.ID)
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for _, c := range cs {
			s += c.Slug + " "
		}
		return s
	}
	// Warm the reader's cache after it subscribed: only a notification can refresh it now.
	if got := slugs(); got != "first second " {
		t.Fatalf("sub-categories %q, want first then second", got)
	}
	if c, err := reader.CategoryByHandle(ctx, "general"); err != nil || c.Title != "General" {
		t.Fatalf("category by handle: %+v %v", c, err)
	}

	if err := writer.ReorderCategory(ctx, admin, subs[1], -1); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the other process still has the old order", func() bool { return slugs() == "second first " })

	if _, err := writer.UpdateCategory(ctx, admin, parent.ID, CategoryEdit{Title: "Town square"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the other process still has the old title", func() bool {
		c, err := reader.CategoryByHandle(ctx, "general")
		if err != nil {
			t.Fatal(err)
		}
		return c.Title == "Town square"
	})
	cancel()
	<-done
}

// eventually polls cond until it holds, failing with msg after ten seconds.
func eventually(t *testing.T, msg string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
