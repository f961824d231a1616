package web

import (
	"net/http"
)

// home lists the categories the viewer may see.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	cats, err := s.forum.VisibleCategories(r.Context(), viewerOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, homePage(s.page(r, ""), cats))
}
