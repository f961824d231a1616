package forum

import (
	"strings"
	"testing"
	"time"
)

// Edits are ordered by their updated time, not by when they were applied here: an edit delivered
// late must not make the author's later edits look stale, and an older edit arriving last changes
// nothing.
func TestRemoteEditsAreOrderedByTheirUpdatedTime(t *testing.T) {
	t.Parallel()
	fx := newInsertFixture(t)
	post := fx.insert(t, time.Now().Add(-time.Hour), "original")
	edit := func(html string, updated time.Time) bool {
		t.Helper()
		changed, err := fx.f.EditRemotePost(fx.ctx, RemoteEdit{PostID: post.ID, EditorID: fx.authorID, HTML: html, Updated: updated})
		if err != nil {
			t.Fatalf("edit %s: %v", html, err)
		}
		return changed
	}
	stored := func() string {
		t.Helper()
		var html string
		if err := fx.f.db.QueryRow(fx.ctx, `SELECT html FROM posts WHERE id = $1`, post.ID).Scan(&html); err != nil {
			t.Fatal(err)
		}
		return html
	}
	now := time.Now()
	// Made ten minutes ago, delivered now.
	if !edit("<p>second</p>", now.Add(-10*time.Minute)) {
		t.Fatal("the first edit changed nothing")
	}
	// Made five minutes ago: after the first, though before the first was applied here.
	if !edit("<p>third</p>", now.Add(-5*time.Minute)) || !strings.Contains(stored(), "third") {
		t.Fatalf("a later edit was taken for stale: %s", stored())
	}
	// Made seven minutes ago, delivered last: older than what is stored.
	if edit("<p>between</p>", now.Add(-7*time.Minute)) || !strings.Contains(stored(), "third") {
		t.Fatalf("an older edit replaced a newer one: %s", stored())
	}
}

// A post edited before it got here is stored at its updated time: an older Update delivered after
// it changes nothing.
func TestAnUpdateOlderThanAnEditedPostsCreateChangesNothing(t *testing.T) {
	t.Parallel()
	fx := newInsertFixture(t)
	opener := fx.insert(t, time.Now().Add(-time.Hour), "opener")
	now := time.Now()
	id, created, err := fx.f.CreateRemotePost(fx.ctx, RemotePost{APID: "https://remote.example/p/edited", AuthorID: fx.authorID,
		InReplyToID: opener.ID, HTML: "<p>second version</p>", Published: now.Add(-30 * time.Minute), Updated: now.Add(-2 * time.Minute)})
	if err != nil || !created {
		t.Fatalf("create: %v (created %v)", err, created)
	}
	changed, err := fx.f.EditRemotePost(fx.ctx, RemoteEdit{PostID: id, EditorID: fx.authorID, HTML: "<p>first version</p>",
		Updated: now.Add(-5 * time.Minute)})
	if err != nil || changed {
		t.Fatalf("a stale Update after the Create: changed %v, %v", changed, err)
	}
}
