package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/stoa-forum/stoa/forum"
)

func (s *Server) resetRequestForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, resetRequestPage(s.page(r, "Reset your password"), resetRequestView{}))
}

// resetRequest mails a reset link. The page says the same whether or not the address is known.
func (s *Server) resetRequest(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r, maxFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	view := resetRequestView{Email: r.PostForm.Get("email")}
	err := s.forum.RequestPasswordReset(r.Context(), view.Email, forum.ClientInfo{IP: s.clientIP(r), UserAgent: r.UserAgent()}, s.resetLink)
	if err != nil {
		st, status, ok := formError(err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		view.Form = st
		s.render(w, r, status, resetRequestPage(s.page(r, "Reset your password"), view))
		return
	}
	view.Sent = true
	s.render(w, r, http.StatusOK, resetRequestPage(s.page(r, "Reset your password"), view))
}

// resetLink is the URL mailed for a password-reset token.
func (s *Server) resetLink(token string) string { return s.tokenLink("/password-reset/confirm", token) }

// tokenLink is the URL mailed for a token, to the page at path. The token travels in the query
// string, which the access log leaves out (it logs paths), and the page's Referrer-Policy keeps it
// from other sites.
func (s *Server) tokenLink(path, token string) string {
	base := "http://localhost"
	if s.public != nil {
		base = s.public.Scheme + "://" + s.public.Host
	}
	return base + path + "?token=" + url.QueryEscape(token)
}

func (s *Server) resetForm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	token := r.URL.Query().Get("token")
	view := resetView{Token: token}
	if err := s.forum.CheckPasswordResetToken(r.Context(), token); err != nil {
		var ve *forum.ValidationError
		if !errors.As(err, &ve) {
			s.fail(w, r, err)
			return
		}
		view.Invalid = capitalize(ve.Problems[0].Message) + "."
		s.render(w, r, http.StatusGone, resetPage(s.page(r, "Choose a new password"), view))
		return
	}
	s.render(w, r, http.StatusOK, resetPage(s.page(r, "Choose a new password"), view))
}

// reset sets the new password (ending every session) and sends the member to sign in with it.
func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r, maxFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	view := resetView{Token: r.PostForm.Get("token")}
	if err := s.forum.ResetPassword(r.Context(), view.Token, r.PostForm.Get("password")); err != nil {
		st, status, ok := formError(err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		if msg := st.Problem("token"); msg != "" {
			view.Invalid = capitalize(msg) + "."
			status = http.StatusGone
		}
		view.Form = st
		s.render(w, r, status, resetPage(s.page(r, "Choose a new password"), view))
		return
	}
	// The browser's own session (if any) ended with the others.
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/login?reset=1", http.StatusSeeOther)
}
