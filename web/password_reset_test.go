package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func TestPasswordResetByMail(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	forumtest.Member(t, s.f, "jo", forum.RoleMember)
	other := s.browser()
	other.login("jo")

	b := s.browser()
	wantStatus(t, b.get("/password-reset"), http.StatusOK)
	unknown := b.post("/password-reset", url.Values{"email": {"nobody@example.test"}})
	known := b.post("/password-reset", url.Values{"email": {"jo@example.test"}})
	wantStatus(t, unknown, http.StatusOK)
	wantStatus(t, known, http.StatusOK)
	// Same page whether or not the address is registered (only the echoed address differs).
	if strings.ReplaceAll(unknown.text("reset-sent"), "nobody@example.test", "X") != strings.ReplaceAll(known.text("reset-sent"), "jo@example.test", "X") {
		t.Fatalf("answers differ:\n%q\n%q", unknown.text("reset-sent"), known.text("reset-sent"))
	}

	mail := s.jobs.lastMail(t)
	prefix := s.srv.URL + "/password-reset/confirm?token="
	i := strings.Index(mail.Text, prefix)
	if mail.To != "jo@example.test" || i < 0 {
		t.Fatalf("mail %+v", mail)
	}
	link := strings.Fields(mail.Text[i:])[0]
	path := strings.TrimPrefix(link, s.srv.URL)

	form := b.get(path)
	wantStatus(t, form, http.StatusOK)
	if !form.has("reset-form") {
		t.Fatalf("no reset form:\n%s", form.body)
	}
	token, _ := url.QueryUnescape(strings.TrimPrefix(path, "/password-reset/confirm?token="))
	short := b.post("/password-reset/confirm", url.Values{"token": {token}, "password": {"short"}})
	wantStatus(t, short, http.StatusUnprocessableEntity)
	r := b.post("/password-reset/confirm", url.Values{"token": {token}, "password": {"a fresh long password"}})
	wantStatus(t, r, http.StatusSeeOther)
	if r.Header.Get("Location") != "/login?reset=1" || !b.get("/login?reset=1").has("notice") {
		t.Fatalf("after reset: %q", r.Header.Get("Location"))
	}
	// The link is spent, and the other browser was signed out.
	again := b.get(path)
	wantStatus(t, again, http.StatusGone)
	if !again.has("reset-invalid") {
		t.Fatalf("spent link page:\n%s", again.body)
	}
	if other.get("/").has("nav-me") {
		t.Fatal("another session survived the password reset")
	}
	r = b.post("/login", url.Values{"login": {"jo"}, "password": {"a fresh long password"}})
	wantStatus(t, r, http.StatusSeeOther)
}
