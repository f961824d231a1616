package forum_test

import (
	"context"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func TestFollowersAndFollowingPages(t *testing.T) {
	t.Parallel()
	f, pool := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	cat, err := f.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"})
	if err != nil {
		t.Fatal(err)
	}
	var followers []int64
	for i, name := range []string{"a", "b", "c", "d", "e"} {
		in := remoteAlice()
		in.Username = name
		in.APID = "https://social.example/users/" + name
		in.InboxURL = in.APID + "/inbox"
		in.PublicKeyID = in.APID + "#main-key"
		a, err := f.UpsertRemoteActor(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		state := "accepted"
		if i == 4 {
			state = "pending"
		}
		if _, err := pool.Exec(ctx, `INSERT INTO follows (follower_id, target_id, state) VALUES ($1, $2, $3)`, a.ID, cat.ActorID, state); err != nil {
			t.Fatal(err)
		}
		if state == "accepted" {
			followers = append(followers, a.ID)
		}
	}
	n, err := f.CountFollowers(ctx, cat.ActorID)
	if err != nil || n != 4 {
		t.Fatalf("CountFollowers = %d, %v; want 4 (pending follows do not count)", n, err)
	}
	page1, err := f.FollowersPage(ctx, cat.ActorID, 0, 3)
	if err != nil || len(page1) != 3 {
		t.Fatalf("page 1: %v, %v", page1, err)
	}
	if page1[0].ID != followers[3] || page1[2].ID != followers[1] || page1[0].APID != "https://social.example/users/d" {
		t.Fatalf("page 1 not newest first: %+v", page1)
	}
	page2, err := f.FollowersPage(ctx, cat.ActorID, page1[2].Cursor, 3)
	if err != nil || len(page2) != 1 || page2[0].ID != followers[0] {
		t.Fatalf("page 2: %+v, %v", page2, err)
	}
	following, err := f.FollowingPage(ctx, followers[0], 0, 10)
	if err != nil || len(following) != 1 || following[0].ID != cat.ActorID || !following[0].Local() || following[0].Username != "general" {
		t.Fatalf("following of a: %+v, %v", following, err)
	}
	if n, err := f.CountFollowing(ctx, followers[0]); err != nil || n != 1 {
		t.Fatalf("CountFollowing = %d, %v", n, err)
	}
}

func TestModeratorsFeaturedOutboxAndUsage(t *testing.T) {
	t.Parallel()
	f, pool := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	admin := forumtest.Member(t, f, "root_admin", forum.RoleAdmin)
	mod := forumtest.Member(t, f, "mod_one", forum.RoleModerator)
	member := forumtest.Member(t, f, "plain", forum.RoleMember)
	mods, err := f.Moderators(ctx)
	if err != nil || len(mods) != 2 || mods[0].ID != admin.ID || mods[1].ID != mod.ID {
		t.Fatalf("moderators %+v, %v", mods, err)
	}
	cat, err := f.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"})
	if err != nil {
		t.Fatal(err)
	}
	var openers []int64
	for i, title := range []string{"pinned first", "pinned second", "not pinned", "pinned but deleted"} {
		th := insertThread(t, pool, cat.ID, member.ID, title)
		var postID int64
		if err := pool.QueryRow(ctx, `INSERT INTO posts (thread_id, author_id, position, source) VALUES ($1, $2, 1, 'x') RETURNING id`,
			th, member.ID).Scan(&postID); err != nil {
			t.Fatal(err)
		}
		openers = append(openers, postID)
		switch i {
		case 0:
			_, err = pool.Exec(ctx, `UPDATE threads SET pinned_at = now() - interval '1 hour' WHERE id = $1`, th)
		case 1:
			_, err = pool.Exec(ctx, `UPDATE threads SET pinned_at = now() WHERE id = $1`, th)
		case 3:
			_, err = pool.Exec(ctx, `UPDATE threads SET pinned_at = now(), deleted_at = now() WHERE id = $1`, th)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	featured, err := f.FeaturedPostIDs(ctx, cat.ID)
	if err != nil || len(featured) != 2 || featured[0] != openers[1] || featured[1] != openers[0] {
		t.Fatalf("featured %v (%v), want [%d %d]", featured, err, openers[1], openers[0])
	}
	if n, err := f.CountOutbox(ctx, member.Actor); err != nil || n != 4 {
		t.Fatalf("outbox of member: %d, %v", n, err)
	}
	if _, err := pool.Exec(ctx, `UPDATE members SET last_seen_at = now() - interval '60 days' WHERE actor_id = $1`, admin.ID); err != nil {
		t.Fatal(err)
	}
	// A post in a staff room is not published, so not counted either.
	staff, err := f.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "staff_room", Title: "Staff"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetPermissionGrid(ctx, forumtest.Admin, staff.ID, []forum.RolePermission{
		{Role: forum.RoleGuest}, {Role: forum.RoleMember}, {Role: forum.RoleModerator, See: true, Start: true, Reply: true}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.CreateThread(ctx, mod.Viewer(), forum.NewThread{CategoryID: staff.ID, Title: "Bans", Body: "shh"}); err != nil {
		t.Fatal(err)
	}
	u, err := f.Usage(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// plain posted today; root_admin was seen 60 days ago; mod_one posted today. Local posts: the
	// three openers of threads not deleted in the public category.
	if u.Users != 3 || u.ActiveMonth != 2 || u.ActiveHalfyear != 3 || u.LocalPosts != 3 {
		t.Fatalf("usage %+v", u)
	}
}

func TestLocalPersonCarriesProfileLinks(t *testing.T) {
	t.Parallel()
	f, pool := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	m := forumtest.Member(t, f, "linked", forum.RoleMember)
	if _, err := pool.Exec(ctx, `UPDATE members SET links = '[{"name":"Site","value":"https://linked.example"}]' WHERE actor_id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	p, err := f.LocalPersonByUsername(ctx, "LINKED")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Links) != 1 || p.Links[0].Name != "Site" || p.Links[0].Value != "https://linked.example" || p.JoinedAt.IsZero() {
		t.Fatalf("person %+v", p)
	}
}
