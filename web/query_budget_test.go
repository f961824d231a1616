package web

import (
	"context"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
	"github.com/stoa-forum/stoa/internal/markup"
	"github.com/stoa-forum/stoa/internal/testdb"
)

// queryCounter counts the queries a pool runs.
type queryCounter struct{ n atomic.Int64 }

func (c *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// Every page is built from at most five queries, however long the list or the thread.
func TestPagesStayWithinTheQueryBudget(t *testing.T) {
	t.Parallel()
	cfg, err := pgxpool.ParseConfig(testdb.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	counter := &queryCounter{}
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
		fx.reply(t, mod, th.ID, "reply")
		fx.thread(t, alice, "Another", "b")
	}
	if err := f.PinThread(fx.ctx, mod.Viewer(), th.ID, true); err != nil {
		t.Fatal(err)
	}

	pages := []struct {
		path   string
		viewer forum.Viewer
	}{
		{"/", forum.Guest},
		{"/latest", alice.Viewer()},
		{"/c/general", alice.Viewer()},
		{"/t/" + itoa(th.ID), alice.Viewer()},
		{"/t/" + itoa(th.ID) + "?page=2", mod.Viewer()},
		{"/c/general/feed", forum.Guest},
		{"/notifications", alice.Viewer()},
		{"/search?q=reply", alice.Viewer()},
		{"/admin/reports", mod.Viewer()},
	}
	for _, p := range pages {
		wantCode(t, fx.get(t, p.viewer, p.path), http.StatusOK) // warm the permission cache
		before := counter.n.Load()
		wantCode(t, fx.get(t, p.viewer, p.path), http.StatusOK)
		if n := counter.n.Load() - before; n > 5 {
			t.Errorf("%s took %d queries, budget 5", p.path, n)
		}
	}
}
