package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// categoryPage shows a category's threads, pinned first, a page at a time (?cursor=).
func (s *Server) categoryPage(w http.ResponseWriter, r *http.Request) {
	ctx, v := r.Context(), viewerOf(r)
	c, err := s.forum.CategoryBySlug(ctx, chi.URLParam(r, "slug"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.forum.CategoryThreads(ctx, v, c, r.URL.Query().Get("cursor"), 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	perm, err := s.forum.Permissions(ctx, v, c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view := categoryView{Category: c, Can: perm, List: list, Follow: s.fullHandle(c.Slug, "")}
	if view.Level, err = s.forum.CategoryLevel(ctx, v, c.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	if list.Next != "" {
		view.More = withCursor(categoryPath(c.Slug), list.Next)
	}
	if c.ParentID == nil && r.URL.Query().Get("cursor") == "" {
		all, err := s.forum.VisibleCategories(ctx, v)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, sub := range all {
			if sub.ParentID != nil && *sub.ParentID == c.ID {
				view.Subs = append(view.Subs, sub)
			}
		}
	}
	p := s.page(r, c.Title)
	p.Feed = categoryPath(c.Slug) + "/feed"
	s.render(w, r, http.StatusOK, categoryPage(p, view))
}
