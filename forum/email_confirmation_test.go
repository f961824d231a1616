package forum_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

var confirmURL = regexp.MustCompile(`https://forum\.example/confirm-email\?token=(\S+)`)

// lastConfirmToken is the token of the newest confirmation mail sent to an address.
func lastConfirmToken(t *testing.T, jobs *queuedJobs, to string) string {
	t.Helper()
	mails := jobs.mails()
	for i := len(mails) - 1; i >= 0; i-- {
		if m := confirmURL.FindStringSubmatch(mails[i].Text); m != nil && mails[i].To == to {
			token, err := url.QueryUnescape(m[1])
			if err != nil {
				t.Fatal(err)
			}
			return token
		}
	}
	t.Fatalf("no confirmation mail to %s in %+v", to, mails)
	return ""
}

// While the site asks for it, a member who signs up may read and like but not post until they
// open the link mailed to them; the link works once, and a changed address needs confirming in
// turn, which a link to the old one cannot do. Members made at the console, and those who signed
// up while the setting was off, post as before.
func TestSignUpsConfirmTheirAddressBeforePosting(t *testing.T) {
	t.Parallel()
	jobs := &queuedJobs{}
	f, _ := forumtest.New(t, forum.Options{Jobs: jobs})
	ctx := context.Background()
	cat, err := f.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"})
	if err != nil {
		t.Fatal(err)
	}
	link := func(token string) string {
		return "https://forum.example/confirm-email?token=" + url.QueryEscape(token)
	}
	register := func(name string) forum.Viewer {
		t.Helper()
		ns, err := f.Register(ctx, forum.Registration{Username: name, Email: name + "@example.test", Password: "long enough pw",
			ConfirmLink: link})
		if err != nil {
			t.Fatal(err)
		}
		return ns.Member.Viewer()
	}
	post := func(v forum.Viewer) error {
		_, _, err := f.CreateThread(ctx, v, forum.NewThread{CategoryID: cat.ID, Title: "Hello from " + v.Username, Body: "text"})
		return err
	}

	early := register("early") // before the setting: never asked
	s, err := f.SiteSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.UpdateSiteSettings(ctx, forumtest.Admin, forum.SiteSettingsInput{SiteName: s.SiteName, RegistrationOpen: true, ConfirmEmail: true}); err != nil {
		t.Fatal(err)
	}
	if len(jobs.mails()) != 0 {
		t.Fatalf("mail before the setting: %+v", jobs.mails())
	}
	newcomer := register("newcomer")
	if err := post(newcomer); !errors.Is(err, forum.ErrEmailUnconfirmed) || !errors.Is(err, forum.ErrForbidden) {
		t.Fatalf("an unconfirmed member posted: %v", err)
	}
	if err := post(early); err != nil {
		t.Fatalf("a member who signed up before the setting: %v", err)
	}
	console := forumtest.Member(t, f, "console_made", forum.RoleMember)
	if err := post(console.Viewer()); err != nil {
		t.Fatalf("a member made at the console: %v", err)
	}
	_, opener, err := f.CreateThread(ctx, console.Viewer(), forum.NewThread{CategoryID: cat.ID, Title: "Like me", Body: "text"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.LikePost(ctx, newcomer, opener.ID); err != nil {
		t.Fatalf("an unconfirmed member may still like: %v", err)
	}
	st, err := f.EmailStatusOf(ctx, newcomer)
	if err != nil || st.Confirmed || !st.Required || st.Email != "newcomer@example.test" {
		t.Fatalf("status before confirming: %+v, %v", st, err)
	}

	token := lastConfirmToken(t, jobs, "newcomer@example.test")
	if name, err := f.ConfirmEmail(ctx, token); err != nil || name != "newcomer" {
		t.Fatalf("confirm: %q, %v", name, err)
	}
	var ve *forum.ValidationError
	if _, err := f.ConfirmEmail(ctx, token); !errors.As(err, &ve) {
		t.Fatalf("a link used twice: %v", err)
	}
	if err := post(newcomer); err != nil {
		t.Fatalf("after confirming: %v", err)
	}
	if err := f.SendEmailConfirmation(ctx, newcomer, link); !errors.As(err, &ve) {
		t.Fatalf("a confirmed address asked for a link: %v", err)
	}

	// A new address: unconfirmed again, a link to it; the old address's link confirms nothing.
	mover := register("mover")
	if err := f.SendEmailConfirmation(ctx, mover, link); err != nil { // a second link voids the first
		t.Fatal(err)
	}
	oldToken := lastConfirmToken(t, jobs, "mover@example.test")
	if err := f.ChangeEmail(ctx, mover, "long enough pw", "moved@example.test", link); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ConfirmEmail(ctx, oldToken); !errors.As(err, &ve) {
		t.Fatalf("a link to the old address confirmed the new one: %v", err)
	}
	if err := post(mover); !errors.Is(err, forum.ErrEmailUnconfirmed) {
		t.Fatalf("posting with a new, unconfirmed address: %v", err)
	}
	if _, err := f.ConfirmEmail(ctx, lastConfirmToken(t, jobs, "moved@example.test")); err != nil {
		t.Fatal(err)
	}
	if err := post(mover); err != nil {
		t.Fatalf("after confirming the new address: %v", err)
	}

	// Staff post with an unconfirmed address: appointed, not signed up.
	promoted := register("promoted")
	if err := f.SetRole(ctx, forumtest.Admin, promoted.ActorID, forum.RoleModerator); err != nil {
		t.Fatal(err)
	}
	if err := post(promoted); err != nil {
		t.Fatalf("a moderator with an unconfirmed address: %v", err)
	}

	// Turning the setting off lets whoever has not confirmed post.
	late := register("late")
	if _, err := f.UpdateSiteSettings(ctx, forumtest.Admin, forum.SiteSettingsInput{SiteName: s.SiteName, RegistrationOpen: true}); err != nil {
		t.Fatal(err)
	}
	if err := post(late); err != nil {
		t.Fatalf("with the setting off again: %v", err)
	}
	if _, err := f.ConfirmEmail(ctx, "not-a-token"); !errors.As(err, &ve) {
		t.Fatalf("a made-up token: %v", err)
	}
}

// Every confirmation mail counts against the member's hourly budget, whatever asks for it: a
// member cannot flood someone else's address by changing theirs to it again and again once their
// resends are spent. The change that would send one more is refused, and the address stays.
func TestConfirmationMailsAreLimitedHoweverTheyAreAskedFor(t *testing.T) {
	t.Parallel()
	jobs := &queuedJobs{}
	f, _ := forumtest.New(t, forum.Options{Jobs: jobs})
	ctx := context.Background()
	s, err := f.SiteSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.UpdateSiteSettings(ctx, forumtest.Admin, forum.SiteSettingsInput{SiteName: s.SiteName, RegistrationOpen: true, ConfirmEmail: true}); err != nil {
		t.Fatal(err)
	}
	link := func(token string) string {
		return "https://forum.example/confirm-email?token=" + url.QueryEscape(token)
	}
	ns, err := f.Register(ctx, forum.Registration{Username: "frank", Email: "frank@example.test", Password: "long enough pw", ConfirmLink: link})
	if err != nil {
		t.Fatal(err)
	}
	frank := ns.Member.Viewer()
	sent := 1 // the sign-up's
	for ; sent < 5; sent++ {
		to := "victim@example.net"
		if sent%2 == 0 {
			to = "frank@example.test"
		}
		if err := f.ChangeEmail(ctx, frank, "long enough pw", to, link); err != nil {
			t.Fatalf("change %d: %v", sent, err)
		}
	}
	err = f.ChangeEmail(ctx, frank, "long enough pw", "victim@example.net", link)
	if !errors.Is(err, forum.ErrRateLimited) {
		t.Fatalf("a sixth confirmation mail in the hour, by a change of address: %v", err)
	}
	if err := f.SendEmailConfirmation(ctx, frank, link); !errors.Is(err, forum.ErrRateLimited) {
		t.Fatalf("a sixth confirmation mail in the hour, by a resend: %v", err)
	}
	if st, err := f.EmailStatusOf(ctx, frank); err != nil || st.Email != "frank@example.test" {
		t.Fatalf("the refused change: %+v, %v", st, err)
	}
	confirmations := 0
	for _, m := range jobs.mails() {
		if confirmURL.MatchString(m.Text) {
			confirmations++
		}
	}
	if confirmations != 5 {
		t.Fatalf("%d confirmation mails sent, want 5", confirmations)
	}
}
