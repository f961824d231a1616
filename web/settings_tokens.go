package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/stoa-forum/stoa/forum"
)

func (s *Server) tokensSettings(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	view := tokensView{}
	if r.URL.Query().Get("revoked") == "1" {
		view.Notice = "The token was revoked."
	}
	s.renderTokens(w, r, v, http.StatusOK, view)
}

func (s *Server) renderTokens(w http.ResponseWriter, r *http.Request, v forum.Viewer, status int, view tokensView) {
	list, err := s.forum.AccessTokens(r.Context(), v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view.Tokens = list
	w.Header().Set("Cache-Control", "private, no-store")
	s.render(w, r, status, tokensSettingsPage(s.page(r, "Access tokens"), view))
}

// createToken shows the new token in the response itself: the secret exists nowhere else (only
// its hash is stored), so it cannot survive a redirect. The page is marked no-store.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	if err := parseForm(w, r, maxFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	name := r.PostForm.Get("name")
	tok, secret, err := s.forum.CreateAccessToken(r.Context(), v, v.ActorID, name)
	if err != nil {
		st, status, ok := formError(err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		s.renderTokens(w, r, v, status, tokensView{Name: name, Form: st})
		return
	}
	s.renderTokens(w, r, v, http.StatusOK, tokensView{NewSecret: secret, NewName: tok.Name})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		s.fail(w, r, fmt.Errorf("token %q: %w", chi.URLParam(r, "id"), forum.ErrNotFound))
		return
	}
	if err := s.forum.RevokeAccessToken(r.Context(), v, id); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings/tokens?revoked=1", http.StatusSeeOther)
}
