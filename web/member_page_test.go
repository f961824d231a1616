package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func TestMemberPageShowsTheProfileAndPagesActivity(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	ctx := context.Background()
	m := forumtest.Member(t, s.f, "kim", forum.RoleModerator)
	if err := s.f.UpdateProfile(ctx, m.Viewer(), m.ID, forum.ProfileInput{
		DisplayName: "Kim K", Bio: "Gardener <script>alert(1)</script>",
		Links: []forum.ProfileLink{{Name: "Blog", Value: "https://kim.example/"}},
	}); err != nil {
		t.Fatal(err)
	}
	cat, err := s.f.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "garden", Title: "Garden"})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	for i := range forum.DefaultMemberActivityLimit + 3 {
		var tid int64
		at := base.Add(time.Duration(i) * time.Hour)
		if err := s.pool.QueryRow(ctx, `INSERT INTO threads (category_id, author_id, title, created_at, last_post_at, post_count)
			VALUES ($1, $2, $3, $4, $4, 1) RETURNING id`, cat.ID, m.ID, fmt.Sprintf("Topic %02d", i), at).Scan(&tid); err != nil {
			t.Fatal(err)
		}
		if _, err := s.pool.Exec(ctx, `INSERT INTO posts (thread_id, author_id, position, source, created_at) VALUES ($1, $2, 1, $3, $4)`,
			tid, m.ID, fmt.Sprintf("Body of topic %02d", i), at); err != nil {
			t.Fatal(err)
		}
	}

	b := s.browser()
	r := b.get("/u/KIM")
	wantStatus(t, r, http.StatusOK)
	if r.text("member-name") != "Kim K" || r.text("member-handle") != "@kim@"+s.url.Host || r.text("member-role") != "moderator" ||
		r.text("member-post-count") != fmt.Sprint(forum.DefaultMemberActivityLimit+3) || r.text("member-joined") == "" {
		t.Fatalf("header: %q", r.text("member-header"))
	}
	// The bio went through Markup (the fallback escapes everything): no live script.
	if strings.Contains(r.body, "<script>alert(1)") || !strings.Contains(r.text("member-bio"), "Gardener <script>") {
		t.Fatalf("bio rendered unsafely: %q", r.text("member-bio"))
	}
	link := firstByTestID(r.doc, "member-links")
	if link == nil || !strings.Contains(text(link), "https://kim.example/") || !strings.Contains(r.body, `rel="me nofollow noopener noreferrer ugc"`) {
		t.Fatalf("links: %v", r.text("member-links"))
	}
	first := r.text("member-threads")
	if !strings.HasPrefix(first, "Topic 22") || strings.Contains(first, "Topic 02") {
		t.Fatalf("first page: %q", first)
	}
	next := attr(firstByTestID(r.doc, "next-page"), "href")
	if !strings.HasPrefix(next, "/u/kim?before=") {
		t.Fatalf("next link %q", next)
	}
	second := b.get(next)
	if got := second.text("member-threads"); !strings.HasPrefix(got, "Topic 02") || strings.Contains(got, "Topic 03") || second.has("next-page") {
		t.Fatalf("second page: %q", got)
	}
	posts := b.get("/u/kim/posts")
	if !strings.Contains(posts.text("member-posts"), "Body of topic 22") {
		t.Fatalf("posts tab: %q", posts.text("member-posts"))
	}
	wantStatus(t, b.get("/u/nobody"), http.StatusNotFound)
	wantStatus(t, b.get("/u/kim?before=garbage"), http.StatusUnprocessableEntity)
}

// Other servers guess Mastodon's /@name for people here: it leads to their page.
func TestAtNameLeadsToTheMembersPage(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	for path, want := range map[string]string{"/@alice": "/u/alice", "/@bob@social.example": "/u/bob@social.example",
		// The full handle the member page shows, and escapes decoded once.
		"/@alice@forum.example": "/u/alice", "/@alice@Forum.Example": "/u/alice", "/u/alice@forum.example": "/u/alice",
		"/@bob%40social.example": "/u/bob@social.example"} {
		rec := fx.get(t, forum.Guest, path)
		if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != want {
			t.Errorf("%s: %d to %q, want %s", path, rec.Code, rec.Header().Get("Location"), want)
		}
	}
	wantCode(t, fx.get(t, forum.Guest, "/u/alice"), http.StatusOK)
}
