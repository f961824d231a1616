package web

import (
	"net/http"
)

// home lists the categories.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	cats, err := s.forum.LocalCategories(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, homePage(s.page(r, ""), cats))
}
