package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/stoa-forum/stoa/forum"
)

func (s *Server) sessionsSettings(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	list, err := s.forum.Sessions(r.Context(), v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view := sessionsView{Sessions: list}
	if sess, ok := sessionOf(r); ok {
		view.Current = sess.ID
	}
	switch r.URL.Query().Get("done") {
	case "one":
		view.Notice = "That session was signed out."
	case "others":
		view.Notice = "Every other session was signed out."
	}
	s.render(w, r, http.StatusOK, sessionsSettingsPage(s.page(r, "Sessions"), view))
}

func (s *Server) revokeSession(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		s.fail(w, r, fmt.Errorf("session %q: %w", chi.URLParam(r, "id"), forum.ErrNotFound))
		return
	}
	if err := s.forum.RevokeSession(r.Context(), v, id); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings/sessions?done=one", http.StatusSeeOther)
}

// revokeOtherSessions is "sign out everywhere else": every session but this browser's.
func (s *Server) revokeOtherSessions(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	var keep int64
	if sess, ok := sessionOf(r); ok {
		keep = sess.ID
	}
	if _, err := s.forum.RevokeOtherSessions(r.Context(), v, keep); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings/sessions?done=others", http.StatusSeeOther)
}
