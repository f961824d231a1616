package web

import (
	"errors"
	"net/http"

	"github.com/stoa-forum/stoa/forum"
)

// categoryPage shows a category's threads, pinned first, a page at a time (?cursor=).
func (s *Server) categoryPage(w http.ResponseWriter, r *http.Request) {
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
	perm, err := s.forum.Permissions(ctx, v, c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view := categoryView{Category: c, Can: perm, List: list, Follow: s.fullHandle(c.Slug, "")}
	if !c.Local() {
		if view.Remote, err = s.remoteGroupOf(r, c); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	view.Level = list.Level // read with the list
	if list.Next != "" {
		view.More = withCursor(categoryPath(c.Handle()), list.Next)
	}
	if c.ParentID == nil && r.URL.Query().Get("cursor") == "" {
		if view.Subs, err = s.forum.VisibleSubCategories(ctx, v, c.ID); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	p := s.page(r, c.Title)
	if c.Local() {
		// A mirror's threads are the remote Group's to publish; it has no feed here.
		p.Feed = categoryPath(c.Slug) + "/feed"
	}
	s.render(w, r, http.StatusOK, categoryPage(p, view))
}

// remoteGroup is the remote Group a mirrored category shows, and the viewer's follow of it.
type remoteGroup struct {
	Actor  forum.Actor
	Follow *forum.Follow
}

// remoteGroupOf loads the Group behind a remote category's mirror.
func (s *Server) remoteGroupOf(r *http.Request, c forum.Category) (*remoteGroup, error) {
	a, err := s.forum.ActorByID(r.Context(), c.ActorID)
	if err != nil {
		return nil, err
	}
	g := &remoteGroup{Actor: a}
	if v := viewerOf(r); v.SignedIn() {
		fo, err := s.forum.FollowBetween(r.Context(), v.ActorID, a.ID)
		switch {
		case err == nil:
			g.Follow = &fo
		case !errors.Is(err, forum.ErrNotFound):
			return nil, err
		}
	}
	return g, nil
}
