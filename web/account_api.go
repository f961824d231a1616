package web

import (
	"net/http"
)

// apiMe is GET /api/me: who the request is signed in as (by bearer token or session), so a script
// can check its token. Guests get a 401.
func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": v.ActorID, "username": v.Username, "role": v.Role})
}
