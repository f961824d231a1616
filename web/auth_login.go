package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/stoa-forum/stoa/forum"
)

const minPasswordLen = forum.MinPasswordLen

// signInURL links to the sign-in form, coming back to current afterwards (but never back to a
// sign-in, registration or reset page).
func signInURL(current string) string {
	for _, p := range []string{"/login", "/register", "/password-reset", "/logout"} {
		if current == p || strings.HasPrefix(current, p+"?") || strings.HasPrefix(current, p+"/") {
			current = "/"
		}
	}
	if current == "/" || current == "" {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(current)
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if viewerOf(r).SignedIn() {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	view := loginView{Next: next}
	if r.URL.Query().Get("reset") == "1" {
		view.Notice = "Your password was changed and you were signed out everywhere. Sign in with the new password."
	}
	s.render(w, r, http.StatusOK, loginPage(s.page(r, "Sign in"), view))
}

// login checks the password and starts a new session. Any session the browser already had is
// ended first, so a session id planted before sign-in is never carried over (session fixation).
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r, maxFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	view := loginView{Login: r.PostForm.Get("login"), Next: safeNext(r.PostForm.Get("next"))}
	ns, err := s.forum.Login(r.Context(), forum.LoginInput{
		Login: view.Login, Password: r.PostForm.Get("password"),
		Client: forum.ClientInfo{IP: s.clientIP(r), UserAgent: r.UserAgent()},
	})
	if err != nil {
		var ban *forum.BanError
		st, status, ok := formError(err)
		switch {
		case errors.As(err, &ban):
			st = formState{Message: capitalize(ban.Error()) + "."}
		case !ok:
			s.fail(w, r, err)
			return
		}
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "900")
		}
		w.Header().Set("Cache-Control", "no-store")
		view.Form = st
		s.render(w, r, status, loginPage(s.page(r, "Sign in"), view))
		return
	}
	if old := s.sessionToken(r); old != "" {
		if err := s.forum.Logout(r.Context(), old); err != nil {
			s.log.WarnContext(r.Context(), "could not end the previous session", "err", err)
		}
	}
	s.setSessionCookie(w, ns.Token)
	http.Redirect(w, r, view.Next, http.StatusSeeOther)
}

// logout ends the session and clears the cookie. It is a POST (a form in the header), so another
// site cannot sign people out with an image tag.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if token := s.sessionToken(r); token != "" {
		if err := s.forum.Logout(r.Context(), token); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
