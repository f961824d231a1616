package web

import (
	"errors"
	"net/http"

	"github.com/stoa-forum/stoa/forum"
)

// confirmLink is the URL mailed to confirm an e-mail address.
func (s *Server) confirmLink(token string) string { return s.tokenLink("/confirm-email", token) }

// confirmEmailForm is where the mailed link leads: a button that confirms. The link itself changes
// nothing, because mail scanners and link previews open links before their reader does.
func (s *Server) confirmEmailForm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	p, token := s.page(r, "Confirm your e-mail address"), r.URL.Query().Get("token")
	if token == "" {
		// A link cut short in the mail: a button could only fail.
		s.render(w, r, http.StatusBadRequest, confirmEmailPage(p, confirmEmailView{
			Invalid: "This link is incomplete: open the whole link from the mail, or ask for a new one in your e-mail settings."}))
		return
	}
	s.render(w, r, http.StatusOK, confirmEmailPage(p, confirmEmailView{Token: token}))
}

// confirmEmail confirms the address the token was mailed to.
func (s *Server) confirmEmail(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r, maxFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	p := s.page(r, "Confirm your e-mail address")
	username, err := s.forum.ConfirmEmail(r.Context(), r.PostForm.Get("token"))
	var ve *forum.ValidationError
	switch {
	case errors.As(err, &ve):
		s.render(w, r, http.StatusGone, confirmEmailPage(p, confirmEmailView{Invalid: capitalize(ve.Problems[0].Message) + "."}))
	case err != nil:
		s.fail(w, r, err)
	default:
		s.render(w, r, http.StatusOK, confirmEmailPage(p, confirmEmailView{Confirmed: username}))
	}
}

// resendConfirmation mails the signed-in member a new confirmation link.
func (s *Server) resendConfirmation(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	if err := s.forum.SendEmailConfirmation(r.Context(), v, s.confirmLink); err != nil {
		st, status, ok := formError(err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		s.renderEmailSettings(w, r, status, v, emailSettingsView{Form: st})
		return
	}
	http.Redirect(w, r, "/settings/email?sent=1", http.StatusSeeOther)
}
