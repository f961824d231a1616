package web

import (
	"errors"
	"net/http"

	"github.com/stoa-forum/stoa/forum"
)

// forwardReport is POST /admin/reports/{id}/forward: staff send a report about an account on
// another server on to that server, as Mastodon's "forward to the remote server" does. The report
// stays open here; forwarding twice is refused.
func (s *Server) forwardReport(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireStaff(w, r)
	if !ok {
		return
	}
	id, err := idParam(r, "id")
	if err == nil {
		err = parseForm(w, r, maxFormBytes)
	}
	if err == nil {
		err = s.forum.ForwardReport(r.Context(), v, id, r.PostForm.Get("comment"))
	}
	if err != nil && !errors.Is(err, forum.ErrAlreadyForwarded) {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, "/admin/reports?done=forwarded")
}
