package web

import (
	"errors"
	"net/http"

	"github.com/stoa-forum/stoa/forum"
)

func (s *Server) registerForm(w http.ResponseWriter, r *http.Request) {
	if viewerOf(r).SignedIn() {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	p := s.page(r, "Create an account")
	s.render(w, r, http.StatusOK, registerPage(p, registerView{Closed: !p.RegistrationOpen}))
}

// register creates the account and signs it in.
func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r, maxFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	view := registerView{Username: r.PostForm.Get("username"), Email: r.PostForm.Get("email")}
	ns, err := s.forum.Register(r.Context(), forum.Registration{
		Username: view.Username, Email: view.Email, Password: r.PostForm.Get("password"),
		Client:      forum.ClientInfo{IP: s.clientIP(r), UserAgent: r.UserAgent()},
		ConfirmLink: s.confirmLink,
	})
	if errors.Is(err, forum.ErrRegistrationClosed) {
		view.Closed = true
		s.render(w, r, http.StatusForbidden, registerPage(s.page(r, "Create an account"), view))
		return
	}
	if err != nil {
		st, status, ok := formError(err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		view.Form = st
		s.render(w, r, status, registerPage(s.page(r, "Create an account"), view))
		return
	}
	if old := s.sessionToken(r); old != "" {
		if err := s.forum.Logout(r.Context(), old); err != nil {
			s.log.WarnContext(r.Context(), "could not end the previous session", "err", err)
		}
	}
	s.setSessionCookie(w, ns.Token)
	st, err := s.forum.EmailStatusOf(r.Context(), ns.Member.Viewer())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !st.Confirmed {
		// The one thing left to do before posting, with the way to have the link sent again.
		http.Redirect(w, r, "/settings/email?sent=1", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/u/"+ns.Member.Username, http.StatusSeeOther)
}
