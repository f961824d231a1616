package forum_test

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
	"github.com/stoa-forum/stoa/internal/markup"
)

// contentFixture is a forum with the real renderer, one category and a member of each role.
type contentFixture struct {
	f     *forum.Forum
	pool  *pgxpool.Pool
	ctx   context.Context
	cat   forum.Category
	alice forum.Member // member
	bob   forum.Member // member
	mod   forum.Member // moderator
	admin forum.Member // admin
	// jobs records the background jobs the forum queues (mails, notifications, re-indexing).
	jobs *queuedJobs
}

func newContentFixture(t *testing.T) *contentFixture {
	t.Helper()
	return newContentFixtureWith(t, forum.Options{})
}

// newContentFixtureWith is newContentFixture with options of the test's own (the renderer and
// the jobs are the fixture's).
func newContentFixtureWith(t *testing.T, opts forum.Options) *contentFixture {
	t.Helper()
	base, _ := url.Parse("https://forum.example")
	jobs := &queuedJobs{}
	opts.Markup, opts.Jobs = markup.New(markup.Options{BaseURL: base}), jobs
	f, pool := forumtest.New(t, opts)
	fx := &contentFixture{f: f, pool: pool, ctx: context.Background(), jobs: jobs}
	var err error
	fx.cat, err = f.CreateCategory(fx.ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"})
	if err != nil {
		t.Fatal(err)
	}
	fx.alice = forumtest.Member(t, f, "alice", forum.RoleMember)
	fx.bob = forumtest.Member(t, f, "bob", forum.RoleMember)
	fx.mod = forumtest.Member(t, f, "molly", forum.RoleModerator)
	fx.admin = forumtest.Member(t, f, "ada", forum.RoleAdmin)
	return fx
}

// staffRoom is a category "staff_room" only moderators (and admins) may see.
func (fx *contentFixture) staffRoom(t *testing.T) forum.Category {
	t.Helper()
	c := fx.category(t, "staff_room")
	if err := fx.f.SetPermissionGrid(fx.ctx, forumtest.Admin, c.ID, []forum.RolePermission{
		{Role: forum.RoleGuest}, {Role: forum.RoleMember}, {Role: forum.RoleModerator, See: true, Start: true, Reply: true}}); err != nil {
		t.Fatal(err)
	}
	return c
}

func (fx *contentFixture) category(t *testing.T, slug string) forum.Category {
	t.Helper()
	c, err := fx.f.CreateCategory(fx.ctx, forumtest.Admin, forum.NewCategory{Slug: slug, Title: slug})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (fx *contentFixture) thread(t *testing.T, by forum.Member, c forum.Category, title, body string) (forum.Thread, forum.Post) {
	t.Helper()
	th, p, err := fx.f.CreateThread(fx.ctx, by.Viewer(), forum.NewThread{CategoryID: c.ID, Title: title, Body: body})
	if err != nil {
		t.Fatalf("create thread %q: %v", title, err)
	}
	return th, p
}

func (fx *contentFixture) reply(t *testing.T, by forum.Member, threadID int64, body string) forum.Post {
	t.Helper()
	p, err := fx.f.CreatePost(fx.ctx, by.Viewer(), forum.NewPost{ThreadID: threadID, Body: body})
	if err != nil {
		t.Fatalf("reply %q: %v", body, err)
	}
	return p
}

// activities returns the verbs recorded about a thread, oldest first.
func (fx *contentFixture) activities(t *testing.T, threadID int64) []forum.Verb {
	t.Helper()
	rows, err := fx.pool.Query(fx.ctx, `SELECT verb FROM activities WHERE thread_id = $1 ORDER BY id`, threadID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var verbs []forum.Verb
	for rows.Next() {
		var v forum.Verb
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		verbs = append(verbs, v)
	}
	return verbs
}

// modActions returns the moderation log's actions, oldest first, leaving out the create_category
// lines of the fixture's own setup.
func (fx *contentFixture) modActions(t *testing.T) []string {
	t.Helper()
	return fx.strings(t, `SELECT action FROM moderation_log WHERE action <> 'create_category' ORDER BY id`)
}

// strings runs a query of one text column and returns its values.
func (fx *contentFixture) strings(t *testing.T, sql string, args ...any) []string {
	t.Helper()
	rows, err := fx.pool.Query(fx.ctx, sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got %v, want %v", what, err, want)
	}
}

func wantInvalid(t *testing.T, what string, err error, field string) {
	t.Helper()
	var ve *forum.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("%s: got %v, want a validation error on %q", what, err, field)
	}
	for _, p := range ve.Problems {
		if p.Field == field {
			return
		}
	}
	t.Fatalf("%s: problems %v, want one on %q", what, ve.Problems, field)
}
