package web

import (
	"net/http"
)

// home lists the categories the viewer may see and, for a member, the remote categories they
// follow (each at /c/slug@host) with the box to find more.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	v := viewerOf(r)
	cats, err := s.forum.VisibleCategories(r.Context(), v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	remote, err := s.forum.FollowedRemoteCategories(r.Context(), v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, homePage(s.page(r, ""), cats, homeRemote{Followed: remote, Lookup: v.SignedIn() && s.remote != nil}))
}
