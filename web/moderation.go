package web

import (
	"net/http"
	"strconv"

	"github.com/stoa-forum/stoa/forum"
)

// Moderator actions on threads and posts, and the author's own delete: each is a form post that
// returns to the thread. forum checks who may do what; these handlers only read the form.

// threadAction returns the handler of a thread-level action.
func (s *Server) threadAction(act func(s *Server, r *http.Request, v forum.Viewer, id int64) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := idParam(r, "id")
		if err == nil {
			err = parseForm(w, r, maxPostFormBytes)
		}
		if err == nil {
			err = act(s, r, viewerOf(r), id)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		seeOther(w, r, backTo(r, threadPath(id)))
	}
}

func lockThread(locked bool) func(*Server, *http.Request, forum.Viewer, int64) error {
	return func(s *Server, r *http.Request, v forum.Viewer, id int64) error {
		return s.forum.LockThread(r.Context(), v, id, locked, r.PostFormValue("reason"))
	}
}

func pinThread(pinned bool) func(*Server, *http.Request, forum.Viewer, int64) error {
	return func(s *Server, r *http.Request, v forum.Viewer, id int64) error {
		return s.forum.PinThread(r.Context(), v, id, pinned)
	}
}

func hideThread(hidden bool) func(*Server, *http.Request, forum.Viewer, int64) error {
	return func(s *Server, r *http.Request, v forum.Viewer, id int64) error {
		return s.forum.HideThread(r.Context(), v, id, hidden, r.PostFormValue("reason"))
	}
}

func moveThread(s *Server, r *http.Request, v forum.Viewer, id int64) error {
	to, err := strconv.ParseInt(r.PostFormValue("category"), 10, 64)
	if err != nil {
		return forum.Invalid("category", "choose a category")
	}
	return s.forum.MoveThread(r.Context(), v, id, to)
}

// postAction returns the handler of a post-level action; it returns to the post (or, when the post
// took its thread with it, to the thread's category).
func (s *Server) postAction(act func(s *Server, r *http.Request, v forum.Viewer, id int64) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := idParam(r, "id")
		if err == nil {
			err = parseForm(w, r, maxPostFormBytes)
		}
		if err == nil {
			err = act(s, r, viewerOf(r), id)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		threadID, page, err := s.forum.PostLocation(r.Context(), viewerOf(r), id)
		if err != nil {
			// The thread went with its opening post: there is no page of it to return to.
			seeOther(w, r, "/latest")
			return
		}
		seeOther(w, r, postAnchorPath(threadID, page, id))
	}
}

func deletePost(s *Server, r *http.Request, v forum.Viewer, id int64) error {
	return s.forum.DeletePost(r.Context(), v, id, r.PostFormValue("reason"))
}

func hidePost(hidden bool) func(*Server, *http.Request, forum.Viewer, int64) error {
	return func(s *Server, r *http.Request, v forum.Viewer, id int64) error {
		return s.forum.HidePost(r.Context(), v, id, hidden, r.PostFormValue("reason"))
	}
}
