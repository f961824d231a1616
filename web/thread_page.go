package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/stoa-forum/stoa/forum"
)

// threadPage shows one page of a thread (?page=N; pages are position ranges).
func (s *Server) threadPage(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n := 1
	if q := r.URL.Query().Get("page"); q != "" {
		if n, err = strconv.Atoi(q); err != nil {
			s.fail(w, r, fmt.Errorf("page %q: %w", q, forum.ErrNotFound))
			return
		}
	}
	ctx, v := r.Context(), viewerOf(r)
	showScope(w, forum.ThreadScope(id))
	tp, err := s.forum.ReadThreadPage(ctx, v, id, n)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	onEveryView(w, r, func(r *http.Request) { s.askSync(r, tp.Thread.Thread) })
	view := threadView{ThreadPage: tp, Viewer: v}
	if handle, _, ok := s.threadFollow(ctx, tp.Thread.Thread); ok {
		view.Follow = handle
	}
	if tp.Thread.Locked() && !tp.Thread.CanReply() { // the notice that gives the reason
		if view.LockReason, err = s.forum.LockReason(ctx, id); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if tp.Thread.Can.Moderate && tp.Thread.Category.Local() {
		if view.Targets, err = s.forum.VisibleCategories(ctx, v); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	title := tp.Thread.Title
	if tp.Page > 1 { // each page its own title: tabs, history and search results tell them apart
		title += " · page " + strconv.Itoa(tp.Page)
	}
	p := s.page(r, title)
	// The page that marks notifications read (opening one lands here) shows the count after it:
	// the session's count was read before.
	p.Counts.UnreadNotifications = max(p.Counts.UnreadNotifications-tp.NotificationsRead, 0)
	p.Feed = threadPath(id) + "/feed"
	s.render(w, r, http.StatusOK, threadPage(p, view))
}

// postLink answers /p/{id} with the post's place on its thread page.
func (s *Server) postLink(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	threadID, page, err := s.forum.PostLocation(r.Context(), viewerOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, postAnchorPath(threadID, page, id), http.StatusSeeOther)
}
