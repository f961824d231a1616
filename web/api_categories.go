package web

import (
	"context"
	"net/http"

	"github.com/stoa-forum/stoa/forum"
)

// apiCategories: GET /api/v1/categories, the categories the caller may see.
func (s *Server) apiCategories(w http.ResponseWriter, r *http.Request) {
	cats, err := s.forum.VisibleCategories(r.Context(), viewerOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]apiCategory, 0, len(cats))
	for _, c := range cats {
		out = append(out, apiCategory{Slug: c.Slug, Title: c.Title, Description: c.Description,
			APID: s.categoryAPID(r.Context(), c), Handle: s.fullHandle(c.Slug, "")})
	}
	writeJSON(w, http.StatusOK, out)
}

// apiCategoryThreads: GET /api/v1/categories/{slug}/threads[?cursor=], pinned threads first on the
// first page. {slug} may be a remote category's handle, slug@host, to read its mirror here.
func (s *Server) apiCategoryThreads(w http.ResponseWriter, r *http.Request) {
	ctx, v := r.Context(), viewerOf(r)
	c, err := s.forum.CategoryByHandle(ctx, s.categoryHandleParam(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	showScope(w, forum.CategoryScope(c.ID))
	list, err := s.forum.CategoryThreads(ctx, v, c, r.URL.Query().Get("cursor"), 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := s.apiThreadListOf(r.Context(), list)
	s.writeJSONAppended(w, r, http.StatusOK, out.appendJSON)
}

// apiLatest: GET /api/v1/latest[?cursor=], the threads of every category the caller may see, by
// last activity, as the Latest page lists them.
func (s *Server) apiLatest(w http.ResponseWriter, r *http.Request) {
	list, err := s.forum.LatestThreads(r.Context(), viewerOf(r), r.URL.Query().Get("cursor"), 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := s.apiThreadListOf(r.Context(), list)
	s.writeJSONAppended(w, r, http.StatusOK, out.appendJSON)
}

// apiThreadListOf is a list of threads as the API gives it, pinned ones (a category's first page)
// first.
func (s *Server) apiThreadListOf(ctx context.Context, list forum.ThreadList) apiThreadList {
	out := apiThreadList{Threads: make([]apiThread, 0, len(list.Pinned)+len(list.Threads)), NextCursor: nextCursor(list.Next)}
	for _, t := range append(list.Pinned, list.Threads...) {
		out.Threads = append(out.Threads, s.apiThreadOf(ctx, t.Thread, t.Author, t.CategoryHandle()))
	}
	return out
}

type apiNewThread struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// apiCreateThread: POST /api/v1/categories/{slug}/threads {title, body} -> 201 thread.
// A guest is refused before the body is read or the category looked up, so that the answer (401)
// does not tell whether a category they may not see exists.
func (s *Server) apiCreateThread(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	var in apiNewThread
	if err := readJSON(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.forum.CategoryBySlug(ctx, s.categoryHandleParam(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t, _, err := s.forum.CreateThread(ctx, v, forum.NewThread{CategoryID: c.ID, Title: in.Title, Body: in.Body})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tv, err := s.forum.ThreadByID(ctx, v, t.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", s.abs("/api/v1/threads/"+itoa(t.ID)))
	writeJSON(w, http.StatusCreated, s.apiThreadOf(r.Context(), tv.Thread, tv.Author, tv.Category.Handle()))
}
