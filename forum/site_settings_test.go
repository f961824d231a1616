package forum_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func TestSiteSettingsDefaultsUpdateAndCache(t *testing.T) {
	t.Parallel()
	f, pool := forumtest.New(t, forum.Options{Markup: markMarkup{}})
	ctx := context.Background()
	s, err := f.SiteSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.SiteName != "Stoa" || !s.RegistrationOpen || s.RulesHTML != "" {
		t.Fatalf("defaults %+v", s)
	}
	in := forum.SiteSettingsInput{SiteName: " Tea  Lovers ", Description: "All about tea.", LogoURL: "https://cdn.example/logo.png",
		CustomCSS: "body { color: teal }", Rules: "Be *kind*.", RegistrationOpen: false}
	if _, err := f.UpdateSiteSettings(ctx, forumtest.Member(t, f, "member", forum.RoleMember).Viewer(), in); !errors.Is(err, forum.ErrForbidden) {
		t.Fatalf("member changing settings: %v", err)
	}
	if _, err := f.UpdateSiteSettings(ctx, forumtest.Member(t, f, "moder", forum.RoleModerator).Viewer(), in); !errors.Is(err, forum.ErrForbidden) {
		t.Fatalf("moderator changing settings: %v", err)
	}
	admin := forumtest.Member(t, f, "owner", forum.RoleAdmin)
	s, err = f.UpdateSiteSettings(ctx, admin.Viewer(), in)
	if err != nil {
		t.Fatal(err)
	}
	if s.SiteName != "Tea Lovers" || s.RulesHTML != `<div class="md">Be *kind*.</div>` || s.RegistrationOpen || s.CustomCSS != in.CustomCSS {
		t.Fatalf("after update %+v", s)
	}
	log, err := f.ModerationLog(ctx, admin.Viewer(), 0, 5)
	if err != nil || len(log) != 1 || log[0].Action != "update_site_settings" {
		t.Fatalf("log %+v (%v)", log, err)
	}

	// The cache answers without the database: a change behind its back shows only after the TTL
	// (another instance's change) or an update through this Forum.
	if _, err := pool.Exec(ctx, "UPDATE site_settings SET site_name = 'Changed elsewhere'"); err != nil {
		t.Fatal(err)
	}
	if s, _ := f.SiteSettings(ctx); s.SiteName != "Tea Lovers" {
		t.Fatalf("cache not used: %q", s.SiteName)
	}
	fresh := forumtest.NewOn(t, pool, forum.Options{Markup: markMarkup{}})
	if s, _ := fresh.SiteSettings(ctx); s.SiteName != "Changed elsewhere" {
		t.Fatalf("new process reads %q", s.SiteName)
	}
	in.SiteName = "Coffee Lovers"
	if _, err := f.UpdateSiteSettings(ctx, admin.Viewer(), in); err != nil {
		t.Fatal(err)
	}
	if s, _ := f.SiteSettings(ctx); s.SiteName != "Coffee Lovers" {
		t.Fatalf("cache not invalidated by an update: %q", s.SiteName)
	}
}

func TestSiteRulesHTMLIsCheckedAgainstItsMAC(t *testing.T) {
	t.Parallel()
	f, pool := forumtest.New(t, forum.Options{Markup: markMarkup{}})
	ctx := context.Background()
	if _, err := f.UpdateSiteSettings(ctx, forumtest.Admin, forum.SiteSettingsInput{SiteName: "S", Rules: "No spam."}); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "UPDATE site_settings SET rules_html = '<img src=x onerror=alert(1)>'"); err != nil {
		t.Fatal(err)
	}
	fresh := forumtest.NewOn(t, pool, forum.Options{Markup: markMarkup{}})
	s, err := fresh.SiteSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.RulesHTML != `<div class="md">No spam.</div>` {
		t.Fatalf("tampered rules served: %q", s.RulesHTML)
	}
}

func TestSiteSettingsValidation(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	cases := []struct {
		in    forum.SiteSettingsInput
		field string
	}{
		{forum.SiteSettingsInput{SiteName: "  "}, "site_name"},
		{forum.SiteSettingsInput{SiteName: strings.Repeat("n", 61)}, "site_name"},
		{forum.SiteSettingsInput{SiteName: "S", Description: strings.Repeat("d", 501)}, "description"},
		{forum.SiteSettingsInput{SiteName: "S", LogoURL: "javascript:alert(1)"}, "logo_url"},
		{forum.SiteSettingsInput{SiteName: "S", LogoURL: "//evil.example/logo.png"}, "logo_url"},
		{forum.SiteSettingsInput{SiteName: "S", LogoURL: "http://cdn.example/logo.png"}, "logo_url"},
		{forum.SiteSettingsInput{SiteName: "S", CustomCSS: strings.Repeat("a", 64<<10+1)}, "custom_css"},
		{forum.SiteSettingsInput{SiteName: "S", Rules: strings.Repeat("r", 50001)}, "rules"},
	}
	for _, c := range cases {
		_, err := f.UpdateSiteSettings(ctx, forumtest.Admin, c.in)
		var ve *forum.ValidationError
		if !errors.As(err, &ve) || ve.Problems[0].Field != c.field {
			t.Errorf("%+v: got %v, want a problem with %s", c.in, err, c.field)
		}
	}
	for _, ok := range []string{"", "/static/logo.png", "https://cdn.example/l.svg"} {
		if _, err := f.UpdateSiteSettings(ctx, forumtest.Admin, forum.SiteSettingsInput{SiteName: "S", LogoURL: ok}); err != nil {
			t.Errorf("logo %q refused: %v", ok, err)
		}
	}
}
