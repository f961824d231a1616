package web

import (
	"net/http"

	"github.com/stoa-forum/stoa/forum"
)

func (s *Server) emailSettings(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	var view emailSettingsView
	switch {
	case r.URL.Query().Get("saved") == "1":
		view.Notice = "E-mail address changed."
	case r.URL.Query().Get("sent") == "1":
		view.Notice = "A confirmation link is on its way to your address; it works for two days."
	}
	s.renderEmailSettings(w, r, http.StatusOK, v, view)
}

// renderEmailSettings renders the e-mail settings with the member's address as stored now.
func (s *Server) renderEmailSettings(w http.ResponseWriter, r *http.Request, status int, v forum.Viewer, view emailSettingsView) {
	st, err := s.forum.EmailStatusOf(r.Context(), v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view.Status = st
	w.Header().Set("Cache-Control", "private, no-store")
	s.render(w, r, status, emailSettingsPage(s.page(r, "E-mail"), view))
}

func (s *Server) changeEmail(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	if err := parseForm(w, r, maxFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	email := r.PostForm.Get("email")
	if err := s.forum.ChangeEmail(r.Context(), v, r.PostForm.Get("current_password"), email, s.confirmLink); err != nil {
		st, status, ok := formError(err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		s.renderEmailSettings(w, r, status, v, emailSettingsView{Email: email, Form: st})
		return
	}
	http.Redirect(w, r, "/settings/email?saved=1", http.StatusSeeOther)
}
