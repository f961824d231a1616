package web

import (
	"net/http"

	"github.com/stoa-forum/stoa/forum"
)

type apiEditPost struct {
	Body string `json:"body"`
}

// The API's writes refuse a guest first (requireMember), before the body is read or the post
// looked up: otherwise a guest would learn from 404 against 401 (or 422, 413) which posts exist.

// apiEditPost: PATCH /api/v1/posts/{id} {body} -> the post.
func (s *Server) apiEditPost(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in apiEditPost
	if err := readJSON(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.forum.EditPost(r.Context(), v, id, forum.PostEdit{Body: in.Body})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.apiPostOf(p))
}

// apiDeletePost: DELETE /api/v1/posts/{id} -> 204.
func (s *Server) apiDeletePost(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.forum.DeletePost(r.Context(), v, id, ""); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiLike: POST /api/v1/posts/{id}/like and DELETE the same -> {liked, like_count}.
func (s *Server) apiLike(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	like := r.Method == http.MethodPost
	var count int
	if like {
		count, err = s.forum.LikePost(r.Context(), v, id)
	} else {
		count, err = s.forum.UnlikePost(r.Context(), v, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, likeState{Liked: like, LikeCount: count})
}

// apiGetPost: GET /api/v1/posts/{id} -> the post.
func (s *Server) apiGetPost(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.forum.PostByID(r.Context(), viewerOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.apiPostOf(p))
}
