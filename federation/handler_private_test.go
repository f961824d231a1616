package federation

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// A category guests may not see is not published: its Group, its collections, its threads' actors
// and their collections, its threads' contexts and WebFinger all answer exactly as for a category
// or thread that does not exist, and fetching makes no thread actor.
func TestPrivateCategoriesAreNotPublished(t *testing.T) {
	t.Parallel()
	s := newSite(t, false, nil)
	ctx := context.Background()
	mods, err := s.forum.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "mods", Title: "Mods only", Description: "Bans."})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.forum.SetPermissionGrid(ctx, forumtest.Admin, mods.ID, []forum.RolePermission{
		{Role: forum.RoleGuest}, {Role: forum.RoleMember}, {Role: forum.RoleModerator, See: true, Start: true, Reply: true}}); err != nil {
		t.Fatal(err)
	}
	var secret, deleted int64
	if err := s.pool.QueryRow(ctx, `INSERT INTO threads (category_id, author_id, title) VALUES ($1, $2, 'Secret plans') RETURNING id`,
		mods.ID, s.bob.ID).Scan(&secret); err != nil {
		t.Fatal(err)
	}
	if err := s.pool.QueryRow(ctx, `INSERT INTO threads (category_id, author_id, title, deleted_at) VALUES ($1, $2, 'Old plans', now()) RETURNING id`,
		mods.ID, s.bob.ID).Scan(&deleted); err != nil {
		t.Fatal(err)
	}
	mustExec(t, s.pool, `INSERT INTO posts (thread_id, author_id, position, source) VALUES ($1, $2, 1, 'shh')`, secret, s.bob.ID)
	tid, did := strconv.FormatInt(secret, 10), strconv.FormatInt(deleted, 10)

	// What an unknown category or thread answers, to compare with byte for byte.
	_, unknownCategory := s.get(t, "/c/nosuch", ActivityJSON)
	_, unknownThread := s.get(t, "/t/999999/actor", ActivityJSON)
	for path, unknown := range map[string][]byte{
		"/c/mods": unknownCategory, "/c/mods/followers": unknownCategory, "/c/mods/outbox": unknownCategory,
		"/c/mods/featured": unknownCategory, "/c/mods/moderators": unknownCategory,
		"/t/" + tid + "/actor": unknownThread, "/t/" + tid + "/actor/followers": unknownThread,
		"/t/" + did + "/actor": unknownThread, "/t/" + tid: unknownThread, "/t/" + did: unknownThread,
	} {
		resp, body := s.get(t, path, ActivityJSON)
		if resp.StatusCode != http.StatusNotFound || string(body) != string(unknown) {
			t.Errorf("GET %s: %d %s, want 404 %s", path, resp.StatusCode, body, unknown)
		}
	}
	for _, resource := range []string{"acct:mods@forum.example", "https://forum.example/c/mods",
		"acct:thread-" + tid + "@forum.example", "https://forum.example/t/" + tid + "/actor", "acct:thread-" + did + "@forum.example"} {
		if resp, body := s.get(t, "/.well-known/webfinger?resource="+resource, ""); resp.StatusCode != http.StatusNotFound {
			t.Errorf("WebFinger %s: %d %s, want 404", resource, resp.StatusCode, body)
		}
	}
	// Nor are the category's own activities (the Updates its permission grid and edits record):
	// walking /activities/N must not tell a private category's name and description.
	if _, err := s.forum.UpdateCategory(ctx, forumtest.Admin, mods.ID, forum.CategoryEdit{Title: "Secret Plans", Description: "Acquisitions."}); err != nil {
		t.Fatal(err)
	}
	_, unknownActivity := s.get(t, "/activities/999999999", ActivityJSON)
	rows, err := s.pool.Query(ctx, `SELECT id FROM activities WHERE category_id = $1 AND post_id IS NULL AND thread_id IS NULL`, mods.ID)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(ids) < 2 {
		t.Fatalf("the private category's activities: %v (%v), want its grid's and its edit's", ids, err)
	}
	for _, id := range ids {
		path := "/activities/" + strconv.FormatInt(id, 10)
		if resp, body := s.get(t, path, ActivityJSON); resp.StatusCode != http.StatusNotFound || string(body) != string(unknownActivity) {
			t.Errorf("GET %s: %d %s, want 404 %s", path, resp.StatusCode, body, unknownActivity)
		}
	}
	// Nor does a lookup or a Follow of the thread actor's URL (Actors.Resolve of a local IRI).
	if _, err := localActor(ctx, s.forum, Ref{Kind: RefThreadActor, ID: secret}, true); !errors.Is(err, forum.ErrNotFound) {
		t.Errorf("resolving the private thread's actor: %v, want not found", err)
	}
	var actors int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM threads WHERE category_id = $1 AND actor_id IS NOT NULL`, mods.ID).Scan(&actors); err != nil || actors != 0 {
		t.Errorf("fetches made %d thread actors in the private category (%v)", actors, err)
	}

	// Opened to guests, the category and its thread are published.
	if err := s.forum.SetPermissionGrid(ctx, forumtest.Admin, mods.ID, []forum.RolePermission{{Role: forum.RoleGuest, See: true}}); err != nil {
		t.Fatal(err)
	}
	s.getDoc(t, "/c/mods", http.StatusOK)
	s.getDoc(t, "/t/"+tid+"/actor", http.StatusOK)
	s.getDoc(t, "/t/"+did+"/actor", http.StatusGone)
	// Closed again, the thread's actor, which exists now, is hidden as well.
	if err := s.forum.SetPermissionGrid(ctx, forumtest.Admin, mods.ID, []forum.RolePermission{{Role: forum.RoleGuest}, {Role: forum.RoleMember}}); err != nil {
		t.Fatal(err)
	}
	if resp, body := s.get(t, "/t/"+tid+"/actor", ActivityJSON); resp.StatusCode != http.StatusNotFound || string(body) != string(unknownThread) {
		t.Errorf("thread actor of a closed category: %d %s", resp.StatusCode, body)
	}
}
