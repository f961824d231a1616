package web

import "net/http"

// adminDeliveryPost is /admin/deliveries/posts/{id}: every activity about a post (its creation,
// edits, likes, deletion) with its deliveries by domain: delivered, pending, failed, last error.
func (s *Server) adminDeliveryPost(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireAdmin(w, r); !ok {
		return
	}
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	acts, err := s.forum.PostDeliveryStatus(r.Context(), viewerOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, adminDeliveryPostPage(s.page(r, "Deliveries of post "+itoa(id)), id, acts))
}
