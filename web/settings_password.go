package web

import (
	"net/http"
)

func (s *Server) passwordSettings(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireMember(w, r); !ok {
		return
	}
	view := passwordSettingsView{}
	if r.URL.Query().Get("saved") == "1" {
		view.Notice = "Password changed. Your other sessions were signed out."
	}
	s.render(w, r, http.StatusOK, passwordSettingsPage(s.page(r, "Password"), view))
}

// changePassword keeps this browser signed in and signs every other session out.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	if err := parseForm(w, r, maxFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	var keep int64
	if sess, ok := sessionOf(r); ok {
		keep = sess.ID
	}
	err := s.forum.ChangePassword(r.Context(), v, r.PostForm.Get("current_password"), r.PostForm.Get("new_password"), keep)
	if err != nil {
		st, status, ok := formError(err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, status, passwordSettingsPage(s.page(r, "Password"), passwordSettingsView{Form: st}))
		return
	}
	http.Redirect(w, r, "/settings/password?saved=1", http.StatusSeeOther)
}
