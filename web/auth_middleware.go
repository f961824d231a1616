package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/httperr"
)

type sessionCtxKey struct{}

// sessionOf returns the session the request's cookie resumed, if any (not for bearer tokens).
func sessionOf(r *http.Request) (forum.Session, bool) {
	s, ok := r.Context().Value(sessionCtxKey{}).(forum.Session)
	return s, ok
}

// sessionCookieName uses the __Host- prefix on https: browsers then accept the cookie only with
// Secure, Path=/ and no Domain, so a sibling subdomain cannot plant or overwrite it.
func (s *Server) sessionCookieName() string {
	if s.secure {
		return "__Host-stoa_session"
	}
	return "stoa_session"
}

func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: s.sessionCookieName(), Value: token, Path: "/",
		// The server ends idle sessions itself; the cookie only needs to outlive the longest one.
		MaxAge:   int(forum.SessionMaxLifetime / time.Second),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.sessionCookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

func (s *Server) sessionToken(r *http.Request) string {
	c, err := r.Cookie(s.sessionCookieName())
	if err != nil {
		return ""
	}
	return c.Value
}

// authenticate sets the request's viewer, once: from "Authorization: Bearer <token>" on /api/
// requests (a bad token is a 401 JSON error, never a silent guest), else from the session cookie
// (a stale cookie is cleared and the request goes on as a guest). Responses that depend on who
// is signed in are marked private, so no shared cache hands one member's page to another.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Cookie")
		if isAPI(r) {
			w.Header().Add("Vary", "Authorization")
			if h := r.Header.Get("Authorization"); h != "" {
				s.authenticateBearer(w, r, h, next)
				return
			}
		}
		token := s.sessionToken(r)
		if token == "" {
			next.ServeHTTP(w, r)
			return
		}
		sess, v, err := s.forum.ResumeSession(r.Context(), token)
		if errors.Is(err, forum.ErrUnauthorized) {
			s.clearSessionCookie(w)
			next.ServeHTTP(w, r)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "private, no-cache")
		ctx := withViewer(r.Context(), v)
		next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, sessionCtxKey{}, sess)))
	})
}

func (s *Server) authenticateBearer(w http.ResponseWriter, r *http.Request, header string, next http.Handler) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		s.bearerRefused(w, r, "the Authorization header must be: Bearer <token>")
		return
	}
	v, err := s.forum.ViewerByAccessToken(r.Context(), token)
	if errors.Is(err, forum.ErrUnauthorized) {
		s.bearerRefused(w, r, "the access token is invalid or revoked")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "private, no-store")
	next.ServeHTTP(w, r.WithContext(withViewer(r.Context(), v)))
}

func (s *Server) bearerRefused(w http.ResponseWriter, r *http.Request, msg string) {
	s.log.DebugContext(r.Context(), "bearer token refused", "path", r.URL.Path)
	w.Header().Set("WWW-Authenticate", `Bearer realm="stoa", error="invalid_token"`)
	writeJSONError(w, httperr.Problem{Status: http.StatusUnauthorized, Code: "invalid_token", Message: msg})
}

// requireMember returns the viewer if signed in. Otherwise it answers (a page goes to the sign-in
// form and comes back here afterwards; the API gets a 401) and returns false.
func (s *Server) requireMember(w http.ResponseWriter, r *http.Request) (forum.Viewer, bool) {
	v := viewerOf(r)
	if v.SignedIn() {
		return v, true
	}
	if isAPI(r) || r.Method != http.MethodGet {
		s.fail(w, r, fmt.Errorf("%s: %w", r.URL.Path, forum.ErrUnauthorized))
		return v, false
	}
	http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	return v, false
}

// requireStaff is requireMember for moderators and admins; other members get a 403.
func (s *Server) requireStaff(w http.ResponseWriter, r *http.Request) (forum.Viewer, bool) {
	v, ok := s.requireMember(w, r)
	if ok && !v.IsStaff() {
		s.fail(w, r, fmt.Errorf("%s: %w", r.URL.Path, forum.ErrForbidden))
		return v, false
	}
	return v, ok
}

// requireAdmin is requireMember for admins only.
func (s *Server) requireAdmin(w http.ResponseWriter, r *http.Request) (forum.Viewer, bool) {
	v, ok := s.requireMember(w, r)
	if ok && !v.IsAdmin() {
		s.fail(w, r, fmt.Errorf("%s: %w", r.URL.Path, forum.ErrForbidden))
		return v, false
	}
	return v, ok
}
