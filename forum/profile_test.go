package forum_test

import (
	"context"
	"errors"
	"html"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// markMarkup is a Markup whose output is recognisable, to see that the hook rendered a text.
type markMarkup struct{}

func (markMarkup) RenderMarkdown(s string) forum.Rendered {
	return forum.Rendered{HTML: `<div class="md">` + html.EscapeString(s) + `</div>`}
}
func (markMarkup) SanitizeHTML(s string) string { return html.EscapeString(s) }

func TestUpdateProfileRendersTheBioAndRecordsAnUpdate(t *testing.T) {
	t.Parallel()
	f, pool := forumtest.New(t, forum.Options{Markup: markMarkup{}})
	ctx := context.Background()
	m := forumtest.Member(t, f, "alice", forum.RoleMember)
	in := forum.ProfileInput{
		DisplayName: "  Alice \u202eecilA\n Liddell ",
		Bio:         "I *like* <b>rabbits</b>",
		Links: []forum.ProfileLink{
			{Name: "Blog", Value: "https://alice.example/"},
			{}, // a blank row of the form
			{Name: "Code", Value: "http://git.example/alice"},
		},
	}
	if err := f.UpdateProfile(ctx, m.Viewer(), m.ID, in); err != nil {
		t.Fatal(err)
	}
	p, err := f.Profile(ctx, "ALICE")
	if err != nil {
		t.Fatal(err)
	}
	if p.DisplayName != "Alice ecilA Liddell" {
		t.Errorf("display name %q: want controls and bidi overrides gone, spaces collapsed", p.DisplayName)
	}
	if p.BioHTML != `<div class="md">I *like* &lt;b&gt;rabbits&lt;/b&gt;</div>` || p.BioSource != in.Bio {
		t.Errorf("bio %q from %q", p.BioHTML, p.BioSource)
	}
	if len(p.Links) != 2 || p.Links[1] != (forum.ProfileLink{Name: "Code", Value: "http://git.example/alice"}) {
		t.Errorf("links %+v", p.Links)
	}
	// Federation publishes actors.summary_html: it is the rendered bio.
	a, err := f.ActorByID(ctx, m.ID)
	if err != nil || a.SummaryHTML != p.BioHTML {
		t.Errorf("actor summary %q (%v)", a.SummaryHTML, err)
	}
	var verb string
	var target int64
	if err := pool.QueryRow(ctx, "SELECT verb, target_actor_id FROM activities ORDER BY id DESC LIMIT 1").Scan(&verb, &target); err != nil {
		t.Fatal(err)
	}
	if verb != string(forum.VerbUpdate) || target != m.ID {
		t.Errorf("recorded %s of %d, want an Update of the member", verb, target)
	}
}

func TestTamperedBioHTMLIsReRenderedFromSource(t *testing.T) {
	t.Parallel()
	f, pool := forumtest.New(t, forum.Options{Markup: markMarkup{}})
	ctx := context.Background()
	m := forumtest.Member(t, f, "bob", forum.RoleMember)
	if err := f.UpdateProfile(ctx, m.Viewer(), m.ID, forum.ProfileInput{Bio: "hello"}); err != nil {
		t.Fatal(err)
	}
	// Someone with database access but not the secret injects a script.
	if _, err := pool.Exec(ctx, `UPDATE actors SET summary_html = '<script>alert(1)</script>' WHERE id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	p, err := f.Profile(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if p.BioHTML != `<div class="md">hello</div>` {
		t.Fatalf("tampered bio served: %q", p.BioHTML)
	}
	var stored string
	if err := pool.QueryRow(ctx, `SELECT summary_html FROM actors WHERE id = $1`, m.ID).Scan(&stored); err != nil || stored != p.BioHTML {
		t.Fatalf("re-rendered bio not stored back: %q (%v)", stored, err)
	}
	// A forum with another secret cannot vouch for this one's HTML either.
	other := forumtest.NewOn(t, pool, forum.Options{Secret: []byte("another-secret-another-secret-0123"), Markup: markMarkup{}})
	if _, err := pool.Exec(ctx, `UPDATE actors SET summary_html = '<b>forged</b>' WHERE id = $1`, m.ID); err != nil {
		t.Fatal(err)
	}
	if p, err := other.Profile(ctx, "bob"); err != nil || p.BioHTML != `<div class="md">hello</div>` {
		t.Fatalf("other secret: %q (%v)", p.BioHTML, err)
	}
}

func TestProfileValidation(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	m := forumtest.Member(t, f, "carol", forum.RoleMember)
	other := forumtest.Member(t, f, "dan", forum.RoleMember)
	link := func(name, url string) []forum.ProfileLink { return []forum.ProfileLink{{Name: name, Value: url}} }
	cases := []struct {
		name  string
		in    forum.ProfileInput
		field string
	}{
		{"long name", forum.ProfileInput{DisplayName: strings.Repeat("n", 61)}, "display_name"},
		{"long bio", forum.ProfileInput{Bio: strings.Repeat("b", 5001)}, "bio"},
		{"javascript link", forum.ProfileInput{Links: link("x", "javascript:alert(1)")}, "links[0].url"},
		{"data link", forum.ProfileInput{Links: link("x", "data:text/html,hi")}, "links[0].url"},
		{"relative link", forum.ProfileInput{Links: link("x", "/u/carol")}, "links[0].url"},
		{"link without a name", forum.ProfileInput{Links: link("", "https://ok.example")}, "links[0].name"},
		{"link with credentials", forum.ProfileInput{Links: link("x", "https://user:pw@ok.example")}, "links[0].url"},
		{"five links", forum.ProfileInput{Links: []forum.ProfileLink{
			{"a", "https://a.example"}, {"b", "https://b.example"}, {"c", "https://c.example"},
			{"d", "https://d.example"}, {"e", "https://e.example"}}}, "links"},
	}
	for _, c := range cases {
		err := f.UpdateProfile(ctx, m.Viewer(), m.ID, c.in)
		var ve *forum.ValidationError
		if !errors.As(err, &ve) || ve.Problems[0].Field != c.field {
			t.Errorf("%s: got %v, want a problem with %s", c.name, err, c.field)
		}
	}
	if err := f.UpdateProfile(ctx, other.Viewer(), m.ID, forum.ProfileInput{}); !errors.Is(err, forum.ErrForbidden) {
		t.Errorf("editing someone else's profile: %v", err)
	}
	if err := f.UpdateProfile(ctx, forumtest.Admin, m.ID, forum.ProfileInput{DisplayName: "Carol"}); err != nil {
		t.Errorf("admin editing a profile: %v", err)
	}
	if _, err := f.Profile(ctx, "nobody"); !errors.Is(err, forum.ErrNotFound) {
		t.Errorf("unknown member: %v", err)
	}
}
