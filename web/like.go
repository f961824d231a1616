package web

import (
	"encoding/json"
	"net/http"

	"github.com/stoa-forum/stoa/internal/httperr"
)

// like and unlike answer a like form: app.js posts it with Accept: application/json and updates the
// button in place; without JavaScript the browser is sent back to the post.
func (s *Server) like(w http.ResponseWriter, r *http.Request)   { s.setLike(w, r, true) }
func (s *Server) unlike(w http.ResponseWriter, r *http.Request) { s.setLike(w, r, false) }

func (s *Server) setLike(w http.ResponseWriter, r *http.Request, like bool) {
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var count int
	if like {
		count, err = s.forum.LikePost(r.Context(), viewerOf(r), id)
	} else {
		count, err = s.forum.UnlikePost(r.Context(), viewerOf(r), id)
	}
	if err != nil {
		if wantsJSON(r) {
			writeJSONError(w, httperr.Of(err))
			return
		}
		s.fail(w, r, err)
		return
	}
	if wantsJSON(r) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(likeState{Liked: like, LikeCount: count})
		return
	}
	seeOther(w, r, postPath(id))
}

// likeState is the answer to a like or unlike, for app.js and the API.
type likeState struct {
	Liked     bool `json:"liked"`
	LikeCount int  `json:"like_count"`
}
