package web

import (
	"net/http"
)

func (s *Server) emailSettings(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	m, err := s.forum.MemberByID(r.Context(), v.ActorID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view := emailSettingsView{Current: m.Email}
	if r.URL.Query().Get("saved") == "1" {
		view.Notice = "E-mail address changed."
	}
	w.Header().Set("Cache-Control", "private, no-store")
	s.render(w, r, http.StatusOK, emailSettingsPage(s.page(r, "E-mail"), view))
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
	if err := s.forum.ChangeEmail(r.Context(), v, r.PostForm.Get("current_password"), email); err != nil {
		st, status, ok := formError(err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		m, merr := s.forum.MemberByID(r.Context(), v.ActorID)
		if merr != nil {
			s.fail(w, r, merr)
			return
		}
		s.render(w, r, status, emailSettingsPage(s.page(r, "E-mail"), emailSettingsView{Current: m.Email, Email: email, Form: st}))
		return
	}
	http.Redirect(w, r, "/settings/email?saved=1", http.StatusSeeOther)
}
