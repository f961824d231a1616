package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/stoa-forum/stoa/forum"
)

// apiThread: GET /api/v1/threads/{id}[?cursor=] -> the thread with a page of posts. The cursor is
// the position of the last post seen.
func (s *Server) apiThread(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	after := 0
	if c := r.URL.Query().Get("cursor"); c != "" {
		if after, err = strconv.Atoi(c); err != nil || after < 0 {
			s.fail(w, r, forum.Invalid("cursor", "is not a cursor this server gave out"))
			return
		}
	}
	showScope(w, forum.ThreadScope(id))
	tv, posts, next, err := s.forum.ThreadPostsAfter(r.Context(), viewerOf(r), id, after, s.forum.PostsPerPage())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	onEveryView(w, r, func(r *http.Request) { s.askSync(r, tv.Thread) })
	out := apiThreadWithPosts{apiThread: s.apiThreadOf(r.Context(), tv.Thread, tv.Author, tv.Category.Handle()), Posts: make([]apiPost, 0, len(posts))}
	for _, p := range posts {
		out.Posts = append(out.Posts, s.apiPostOf(p))
	}
	if next > 0 {
		out.NextCursor = nextCursor(strconv.Itoa(next))
	}
	s.writeJSONAppended(w, r, http.StatusOK, out.appendJSON)
}

type apiNewPost struct {
	Body      string `json:"body"`
	InReplyTo *int64 `json:"in_reply_to"`
}

// apiCreatePost: POST /api/v1/threads/{id}/posts {body, in_reply_to?} -> 201 post.
// A guest is refused before anything else: the body read, or the thread looked up, would tell
// them whether a thread they may not see exists (404 against 401).
func (s *Server) apiCreatePost(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in apiNewPost
	if err := readJSON(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.forum.CreatePost(r.Context(), v, forum.NewPost{ThreadID: id, Body: in.Body, InReplyToID: in.InReplyTo})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", s.abs(fmt.Sprintf("/api/v1/posts/%d", p.ID)))
	writeJSON(w, http.StatusCreated, s.apiPostOf(p))
}
