package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// With confirmation turned on in the admin settings, a new member lands on the page that says what
// is left to do; a reply before confirming comes back with its text and the reason; the mailed
// link opens a page whose button confirms (opening it alone changes nothing); then the reply goes
// through.
func TestANewMemberConfirmsTheirAddressFromTheMailedLink(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	ctx := context.Background()
	cat, err := s.f.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"})
	if err != nil {
		t.Fatal(err)
	}
	boss := forumtest.Member(t, s.f, "boss", forum.RoleAdmin)
	admin := s.browser()
	admin.login("boss")
	wantStatus(t, admin.post("/admin/settings", url.Values{"site_name": {"Stoa"}, "registration_open": {"1"}, "confirm_email": {"1"}}),
		http.StatusSeeOther)
	if form := admin.get("/admin/settings"); !strings.Contains(form.body, `id="f-confirm_email" type="checkbox" name="confirm_email" value="1" checked`) {
		t.Fatal("the settings form does not show confirmation turned on")
	}
	th, _, err := s.f.CreateThread(ctx, boss.Viewer(), forum.NewThread{CategoryID: cat.ID, Title: "Welcome", Body: "Say hello"})
	if err != nil {
		t.Fatal(err)
	}

	b := s.browser()
	reg := b.post("/register", url.Values{"username": {"newbie"}, "email": {"newbie@example.test"}, "password": {"long enough pw"}})
	wantStatus(t, reg, http.StatusSeeOther)
	if reg.Header.Get("Location") != "/settings/email?sent=1" {
		t.Fatalf("after signing up: %s", reg.Header.Get("Location"))
	}
	settings := b.get("/settings/email?sent=1")
	if !settings.has("email-unconfirmed") || !settings.has("resend-confirmation") || !strings.Contains(settings.text("notice"), "on its way") {
		t.Fatalf("e-mail settings of a new member:\n%s", settings.body)
	}

	reply := b.post("/t/"+itoa(th.ID)+"/reply", url.Values{"body": {"hello, all of you"}})
	wantStatus(t, reply, http.StatusForbidden)
	if !strings.Contains(reply.body, "hello, all of you") || !strings.Contains(reply.body, "Confirm your e-mail address") {
		t.Fatalf("refused reply page:\n%s", reply.body)
	}

	mail := s.jobs.lastMail(t)
	m := regexp.MustCompile(`/confirm-email\?token=(\S+)`).FindStringSubmatch(mail.Text)
	if mail.To != "newbie@example.test" || m == nil {
		t.Fatalf("confirmation mail: %+v", mail)
	}
	token, _ := url.QueryUnescape(m[1])
	page := b.get("/confirm-email?token=" + url.QueryEscape(token))
	wantStatus(t, page, http.StatusOK)
	if !page.has("confirm-form") {
		t.Fatalf("confirmation page:\n%s", page.body)
	}
	if !b.get("/settings/email").has("email-unconfirmed") {
		t.Fatal("opening the link confirmed the address without its button")
	}
	if cut := b.get("/confirm-email"); cut.StatusCode != http.StatusBadRequest || cut.has("confirm-form") || !cut.has("confirm-invalid") {
		t.Fatalf("a link cut before its token offers a button that can only fail: %d\n%s", cut.StatusCode, cut.body)
	}
	done := s.browser().post("/confirm-email", url.Values{"token": {token}}) // from the mail app's browser: no session needed
	wantStatus(t, done, http.StatusOK)
	if !strings.Contains(done.text("confirm-done"), "newbie") {
		t.Fatalf("after confirming:\n%s", done.body)
	}
	if again := b.post("/confirm-email", url.Values{"token": {token}}); again.StatusCode != http.StatusGone || !again.has("confirm-invalid") {
		t.Fatalf("the link used twice: %d\n%s", again.StatusCode, again.body)
	}
	if b.get("/settings/email").has("email-unconfirmed") {
		t.Fatal("still unconfirmed after confirming")
	}
	wantStatus(t, b.post("/t/"+itoa(th.ID)+"/reply", url.Values{"body": {"hello, all of you"}}), http.StatusSeeOther)
	// Asking for a link for a confirmed address says so on the form.
	if r := b.post("/settings/email/confirm", nil); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "confirmed already") {
		t.Fatalf("resend for a confirmed address: %d", r.StatusCode)
	}
}
