package web

import "net/http"

// latest lists the threads of every category the viewer may see, by last activity (?cursor=).
func (s *Server) latest(w http.ResponseWriter, r *http.Request) {
	list, err := s.forum.LatestThreads(r.Context(), viewerOf(r), r.URL.Query().Get("cursor"), 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	more := ""
	if list.Next != "" {
		more = withCursor("/latest", list.Next)
	}
	s.render(w, r, http.StatusOK, latestPage(s.page(r, "Latest"), list, more))
}
