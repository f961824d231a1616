package web

import (
	"errors"
	"net/http"

	"github.com/stoa-forum/stoa/forum"
)

// wantsPreview reports whether the form was sent with its Preview button.
func wantsPreview(r *http.Request) bool { return r.PostFormValue("preview") != "" }

// composerRefused is refused for the forms that post (a new thread, a reply): besides what to fix
// (422), a member posting faster than the forum allows (429), or before confirming their address
// (403), gets the form back with their text and what to do, not an error page that would lose
// what they wrote.
func composerRefused(w http.ResponseWriter, err error) (problems []forum.FieldProblem, status int, ok bool) {
	switch {
	case errors.Is(err, forum.ErrPostingTooFast):
		w.Header().Set("Retry-After", "60")
		return []forum.FieldProblem{{Message: "You are posting faster than this forum allows. Wait a minute, then post again: your text is kept below."}},
			http.StatusTooManyRequests, true
	case errors.Is(err, forum.ErrEmailUnconfirmed):
		return []forum.FieldProblem{{Message: "Confirm your e-mail address before you post: open the link we mailed you, " +
			"or have it sent again from Settings, E-mail. Your text is kept below."}}, http.StatusForbidden, true
	}
	problems, ok = refused(err)
	return problems, http.StatusUnprocessableEntity, ok
}

// refused tells apart an error the writer can fix in the form (shown in the form, with their text)
// from one that ends the request (shown as an error page).
func refused(err error) ([]forum.FieldProblem, bool) {
	var ve *forum.ValidationError
	if errors.As(err, &ve) {
		return ve.Problems, true
	}
	return nil, false
}

// preview serves app.js's preview: the Markdown in the form's body, rendered as a post would be.
// Signed-in members only: guests have nothing to preview.
func (s *Server) preview(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireMember(w, r); !ok {
		return
	}
	if err := parseForm(w, r, maxPostFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(s.forum.Preview(r.PostFormValue("body"))))
}
