package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/httperr"
)

// remoteLookupView is the "find elsewhere" page: the lookup box and the member's follows.
type remoteLookupView struct {
	Query   string
	Form    formState
	Follows []forum.FollowedActor
	// Next is the URL of the next page of follows, or "".
	Next string
}

// remoteLookupPage is GET /remote: the box to find a community or person elsewhere, and the
// remote actors the member follows with where each follow stands.
func (s *Server) remoteLookupPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	s.renderRemoteLookup(w, r, v, http.StatusOK, remoteLookupView{Query: r.URL.Query().Get("q")})
}

// remoteLookup is POST /remote: look up what the member typed and go to its page here; a problem
// re-renders the box with what was typed and what went wrong. It is a POST (and so CSRF-checked)
// because it makes this server fetch from another.
func (s *Server) remoteLookup(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	if err := parseForm(w, r, maxFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.PostFormValue("q")
	a, err := s.lookupRemote(r.Context(), v, "q", q)
	if err == nil {
		seeOther(w, r, actorPagePath(a))
		return
	}
	st, status, shown := formError(err)
	if !shown {
		// Not found and the other server's failures are answers to show next to the box, not
		// error pages: the member will want to correct the handle or try again.
		p := httperr.Of(err)
		if p.Status >= 500 && !errors.Is(err, forum.ErrUnavailable) {
			s.fail(w, r, err)
			return
		}
		st, status = formState{Problems: map[string]string{"q": lookupProblem(err, p)}}, p.Status
	}
	s.renderRemoteLookup(w, r, v, status, remoteLookupView{Query: q, Form: st})
}

// lookupProblem says in words what a failed lookup means.
func lookupProblem(err error, p httperr.Problem) string {
	switch {
	case errors.Is(err, forum.ErrNotFound):
		return "Nothing by that name was found there. Check the spelling, or paste the address of the profile or community."
	case errors.Is(err, forum.ErrGone):
		return "That account or community was deleted on its server."
	case errors.Is(err, forum.ErrUnavailable):
		return "That server could not be reached or did not answer usefully. Try again later."
	}
	return capitalize(p.Message)
}

func (s *Server) renderRemoteLookup(w http.ResponseWriter, r *http.Request, v forum.Viewer, status int, view remoteLookupView) {
	before, err := idCursor(r, "before")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, next, err := s.forum.MemberFollows(r.Context(), v, before, 50)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view.Follows = list
	if next > 0 {
		view.Next = "/remote?before=" + strconv.FormatInt(next, 10)
	}
	s.render(w, r, status, remoteLookupPage(s.page(r, "Find elsewhere"), view))
}
