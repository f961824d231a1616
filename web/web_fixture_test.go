package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
	"github.com/stoa-forum/stoa/internal/markup"
)

// testFederation answers like package federation will, from the public URL alone.
type testFederation struct{ base string }

func (f testFederation) CategoryAPID(slug string) string   { return f.base + "/c/" + slug }
func (f testFederation) MemberAPID(username string) string { return f.base + "/u/" + username }
func (f testFederation) ThreadAPID(id int64) string        { return f.base + "/t/" + itoa(id) }
func (f testFederation) PostAPID(id int64) string          { return f.base + "/p/" + itoa(id) }
func (f testFederation) ThreadFollow(id int64) (string, string) {
	return "thread-" + itoa(id) + "@forum.example", f.base + "/t/" + itoa(id) + "/actor"
}

// webFixture is the real handler tree over a fresh database, with a member of each role.
type webFixture struct {
	f     *forum.Forum
	pool  *pgxpool.Pool
	h     http.Handler
	ctx   context.Context
	cat   forum.Category
	alice forum.Member
	bob   forum.Member
	mod   forum.Member
	admin forum.Member
	// listenerErrors counts the change listener's failures (listen): its connection lost, each
	// attempt to reconnect that failed.
	listenerErrors atomic.Int64
}

func newWebFixture(t testing.TB) *webFixture {
	t.Helper()
	return newWebFixtureWith(t, forum.Options{})
}

// newWebFixtureWith is newWebFixture over a forum with options of the test's own (the renderer is
// the fixture's).
func newWebFixtureWith(t testing.TB, opts forum.Options) *webFixture {
	t.Helper()
	base, _ := url.Parse("https://forum.example")
	opts.Markup = markup.New(markup.Options{BaseURL: base})
	f, pool := forumtest.New(t, opts)
	fx := &webFixture{f: f, pool: pool, ctx: context.Background()}
	fx.h = New(Options{Forum: f, PublicURL: base, Federation: testFederation{base: base.String()}})
	var err error
	if fx.cat, err = f.CreateCategory(fx.ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General", Description: "Talk"}); err != nil {
		t.Fatal(err)
	}
	fx.alice = forumtest.Member(t, f, "alice", forum.RoleMember)
	fx.bob = forumtest.Member(t, f, "bob", forum.RoleMember)
	fx.mod = forumtest.Member(t, f, "molly", forum.RoleModerator)
	fx.admin = forumtest.Member(t, f, "ada", forum.RoleAdmin)
	return fx
}

// do sends a request as viewer v (the session middleware's job in production; here the test
// puts the viewer in the request context the way that middleware does).
func (fx *webFixture) do(t testing.TB, v forum.Viewer, method, path string, body io.Reader, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, body)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	req = req.WithContext(withViewer(req.Context(), v))
	rec := httptest.NewRecorder()
	fx.h.ServeHTTP(rec, req)
	return rec
}

func (fx *webFixture) get(t testing.TB, v forum.Viewer, path string) *httptest.ResponseRecorder {
	t.Helper()
	return fx.do(t, v, http.MethodGet, path, nil)
}

func (fx *webFixture) post(t testing.TB, v forum.Viewer, path string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	return fx.do(t, v, http.MethodPost, path, strings.NewReader(form.Encode()), "Content-Type", "application/x-www-form-urlencoded")
}

func (fx *webFixture) thread(t testing.TB, by forum.Member, title, body string) (forum.Thread, forum.Post) {
	t.Helper()
	th, p, err := fx.f.CreateThread(fx.ctx, by.Viewer(), forum.NewThread{CategoryID: fx.cat.ID, Title: title, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return th, p
}

// staffCategory makes a category only staff see (and start threads and reply in).
func (fx *webFixture) staffCategory(t testing.TB, slug string) forum.Category {
	t.Helper()
	c, err := fx.f.CreateCategory(fx.ctx, forumtest.Admin, forum.NewCategory{Slug: slug, Title: slug})
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.f.SetPermissionGrid(fx.ctx, fx.admin.Viewer(), c.ID, []forum.RolePermission{
		{Role: forum.RoleGuest}, {Role: forum.RoleMember}, {Role: forum.RoleModerator, See: true, Start: true, Reply: true}}); err != nil {
		t.Fatal(err)
	}
	return c
}

func (fx *webFixture) reply(t testing.TB, by forum.Member, threadID int64, body string) forum.Post {
	t.Helper()
	p, err := fx.f.CreatePost(fx.ctx, by.Viewer(), forum.NewPost{ThreadID: threadID, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func wantCode(t *testing.T, rec *httptest.ResponseRecorder, want int) {
	t.Helper()
	if rec.Code != want {
		body := rec.Body.String()
		if len(body) > 2000 {
			body = body[:2000]
		}
		t.Fatalf("status %d, want %d\n%s", rec.Code, want, body)
	}
}
