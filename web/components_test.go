package web

import (
	"strings"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

func TestAccountNavForEachKindOfViewer(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		p       page
		present []string
		absent  []string
	}{
		{"guest", page{Viewer: forum.Guest, Path: "/t/5", RegistrationOpen: true},
			[]string{"nav-login", "nav-register"}, []string{"nav-me", "nav-settings", "nav-admin", "nav-logout"}},
		{"guest, registration closed", page{Viewer: forum.Guest, Path: "/"},
			[]string{"nav-login"}, []string{"nav-register"}},
		{"member", page{Viewer: forum.Viewer{ActorID: 3, Username: "ann", Role: forum.RoleMember}},
			[]string{"nav-me", "nav-settings", "nav-logout"}, []string{"nav-admin", "nav-login", "nav-register"}},
		{"moderator", page{Viewer: forum.Viewer{ActorID: 4, Username: "mo", Role: forum.RoleModerator}},
			[]string{"nav-me", "nav-admin", "nav-logout"}, []string{"nav-login"}},
		{"admin", page{Viewer: forum.Viewer{ActorID: 5, Username: "ad", Role: forum.RoleAdmin}},
			[]string{"nav-me", "nav-admin", "nav-logout"}, []string{"nav-login"}},
	}
	for _, c := range cases {
		doc := renderComponent(t, accountNav(c.p))
		for _, id := range c.present {
			if firstByTestID(doc, id) == nil {
				t.Errorf("%s: no %s", c.name, id)
			}
		}
		for _, id := range c.absent {
			if firstByTestID(doc, id) != nil {
				t.Errorf("%s: unexpected %s", c.name, id)
			}
		}
	}
	guest := renderComponent(t, accountNav(page{Viewer: forum.Guest, Path: "/t/5?page=2"}))
	if href := attr(firstByTestID(guest, "nav-login"), "href"); href != "/login?next=%2Ft%2F5%3Fpage%3D2" {
		t.Errorf("sign-in link %q does not come back to the page", href)
	}
	onLogin := renderComponent(t, accountNav(page{Viewer: forum.Guest, Path: "/login?next=%2Fx"}))
	if href := attr(firstByTestID(onLogin, "nav-login"), "href"); href != "/login" {
		t.Errorf("sign-in link on the sign-in page: %q", href)
	}
	// Sign out is a POST form, never a link a crawler or an <img> could follow.
	member := renderComponent(t, accountNav(page{Viewer: forum.Viewer{ActorID: 3, Username: "ann", Role: forum.RoleMember}}))
	btn := firstByTestID(member, "nav-logout")
	if btn.Data != "button" || btn.Parent.Data != "form" || attr(btn.Parent, "method") != "post" || attr(btn.Parent, "action") != "/logout" {
		t.Errorf("sign out is <%s> in <%s method=%q>", btn.Data, btn.Parent.Data, attr(btn.Parent, "method"))
	}
	if href := attr(firstByTestID(member, "nav-me"), "href"); href != "/u/ann" {
		t.Errorf("member link %q", href)
	}
}

func TestLayoutLandmarksAndSiteSettings(t *testing.T) {
	t.Parallel()
	p := page{SiteName: "Tea <Room>", Title: "Sign in", LogoURL: "/static/logo.png", SiteCSS: "/site.css?v=1", Viewer: forum.Guest}
	var b strings.Builder
	if err := layout(p).Render(t.Context(), &b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{`<html lang="en">`, `<title>Sign in · Tea &lt;Room&gt;</title>`, `<main id="main"`,
		`href="#main"`, `<nav aria-label="Site">`, `<link rel="stylesheet" href="/site.css?v=1" data-testid="site-css">`,
		`<img class="logo" src="/static/logo.png" alt=""`} {
		if !strings.Contains(out, want) {
			t.Errorf("layout lacks %s", want)
		}
	}
	if strings.Contains(out, "<style") {
		t.Error("layout inlines styles")
	}
}

func TestInputFieldWiresProblemsForScreenReaders(t *testing.T) {
	t.Parallel()
	doc := renderComponent(t, inputField(field{Label: "Username", Name: "username", Value: "a b", Hint: "1-30 characters",
		Problem: "may contain only lower-case letters", Required: true}))
	var input *nodeT
	var find func(n *nodeT)
	find = func(n *nodeT) {
		if n.Data == "input" {
			input = n
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			find(c)
		}
	}
	find(doc)
	if attr(input, "aria-invalid") != "true" || attr(input, "aria-describedby") != "f-username-hint f-username-problem" ||
		attr(input, "value") != "a b" || attr(input, "id") != "f-username" {
		t.Fatalf("input attributes %+v", input.Attr)
	}
	if got := text(firstByTestID(doc, "problem-username")); got != "may contain only lower-case letters" {
		t.Fatalf("problem text %q", got)
	}
	pw := renderComponent(t, inputField(field{Label: "Password", Name: "password", Type: "password", Value: "secret!"}))
	if strings.Contains(text(pw), "secret!") || firstByTestID(pw, "problem-password") != nil {
		t.Fatal("password field echoes its value")
	}
	var b strings.Builder
	_ = inputField(field{Label: "Password", Name: "password", Type: "password", Value: "secret!"}).Render(t.Context(), &b)
	if strings.Contains(b.String(), "secret!") {
		t.Fatal("a password is written back into the page")
	}
}

func TestMemberHeaderComponent(t *testing.T) {
	t.Parallel()
	joined := time.Date(2024, 2, 29, 10, 0, 0, 0, time.UTC)
	p := forum.Profile{Member: forum.Member{Actor: forum.Actor{Username: "zoe", AvatarURL: "/avatars/x.png"}, Role: forum.RoleAdmin, JoinedAt: joined},
		BioHTML: "<p>Hi</p>", PostCount: 42,
		Links: []forum.ProfileLink{{Name: "Site", Value: "https://zoe.example"}, {Name: "Bad", Value: "javascript:alert(1)"}}}
	doc := renderComponent(t, memberHeader(p, "zoe@forum.example"))
	checks := map[string]string{"member-name": "zoe", "member-handle": "@zoe@forum.example", "member-role": "admin",
		"member-joined": "29 February 2024", "member-post-count": "42", "member-bio": "Hi"}
	for id, want := range checks {
		if got := text(firstByTestID(doc, id)); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	var b strings.Builder
	_ = memberHeader(p, "zoe@forum.example").Render(t.Context(), &b)
	if strings.Contains(b.String(), `href="javascript:`) {
		t.Error("a javascript: link reached the page")
	}
}
