package web

import (
	"crypto/rand"
	"errors"
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
	view.FormKey = newFormKey()
	w.Header().Set("Cache-Control", "private, no-store")
	s.render(w, r, status, tokensSettingsPage(s.page(r, "Access tokens"), view))
}

// createToken shows the new token in the response itself: the secret exists nowhere else (only
// its hash is stored), so it cannot survive a redirect. The page is marked no-store. A reload of
// it sends the form again: the form's key (newFormKey) makes that find the token it made, and the
// page says so, where it made a second token before.
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
	tok, secret, err := s.forum.CreateAccessTokenFromForm(r.Context(), v, v.ActorID, name, r.PostForm.Get("form_key"))
	if errors.Is(err, forum.ErrTokenAlreadyCreated) {
		s.renderTokens(w, r, v, http.StatusConflict, tokensView{Notice: fmt.Sprintf(
			"This form was sent before and made the token “%s”; its secret was shown then, once. "+
				"If you did not copy it, revoke it and create another.", tok.Name)})
		return
	}
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

// newFormKey names one showing of a form that must not act twice when sent twice: 128 random
// bits.
func newFormKey() string { return rand.Text() }
