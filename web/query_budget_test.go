package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
	"github.com/stoa-forum/stoa/internal/markup"
	"github.com/stoa-forum/stoa/internal/querytrace"
	"github.com/stoa-forum/stoa/internal/testdb"
)

// Every page is built from at most five queries, however long the list or the thread.
func TestPagesStayWithinTheQueryBudget(t *testing.T) {
	t.Parallel()
	cfg, err := pgxpool.ParseConfig(testdb.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	counter := &querytrace.Counter{}
	cfg.ConnConfig.Tracer = counter
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	base, _ := url.Parse("https://forum.example")
	f := forumtest.NewOn(t, pool, forum.Options{Markup: markup.New(markup.Options{BaseURL: base})})
	fx := &webFixture{f: f, pool: pool, ctx: context.Background()}
	fx.h = New(Options{Forum: f, PublicURL: base, Federation: testFederation{base: base.String()}})
	if fx.cat, err = f.CreateCategory(fx.ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"}); err != nil {
		t.Fatal(err)
	}
	alice := forumtest.Member(t, f, "alice", forum.RoleMember)
	mod := forumtest.Member(t, f, "molly", forum.RoleModerator)
	fx.alice = alice
	th, _ := fx.thread(t, alice, "Busy", "opener")
	for i := 0; i < 40; i++ {
		fx.reply(t, mod, th.ID, "reply "+itoa(int64(i)))
		fx.thread(t, alice, "Another", "b "+itoa(int64(i)))
	}
	if err := f.PinThread(fx.ctx, mod.Viewer(), th.ID, true); err != nil {
		t.Fatal(err)
	}

	pages := []struct {
		path   string
		viewer forum.Viewer
		budget int // 0: the general budget of 5
	}{
		{"/", forum.Guest, 0},
		{"/latest", alice.Viewer(), 0},
		// The list alone, with the member's unread counts and watch level in it (fx.get signs in
		// without a session query; the category and its sub-categories come from the permission
		// snapshot). With the change listener running, the list is a shared read and a member who
		// finds it kept reads only their own state, also one statement (forum/shared_reads.go).
		{"/c/general", alice.Viewer(), 1},
		{"/c/general", forum.Guest, 1},
		{"/t/" + itoa(th.ID), alice.Viewer(), 0},
		{"/t/" + itoa(th.ID) + "?page=2", mod.Viewer(), 0},
		{"/c/general/feed", forum.Guest, 0},
		{"/notifications", alice.Viewer(), 0},
		{"/search?q=reply", alice.Viewer(), 0},
		{"/admin/reports", mod.Viewer(), 0},
	}
	for _, p := range pages {
		wantCode(t, fx.get(t, p.viewer, p.path), http.StatusOK) // warm the permission cache
		before := counter.Queries()
		wantCode(t, fx.get(t, p.viewer, p.path), http.StatusOK)
		budget := int64(p.budget)
		if budget == 0 {
			budget = 5
		}
		if n := counter.Queries() - before; n > budget {
			t.Errorf("%s took %d queries, budget %d", p.path, n, budget)
		}
	}
}
