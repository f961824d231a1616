package web

import (
	"net/http"
	"strconv"

	"github.com/stoa-forum/stoa/forum"
)

type notificationsView struct {
	List []forum.Notification
	Next string // the next page's URL, "" on the last
}

// anyUnread reports whether the page or the header count has something to mark read.
func (v notificationsView) anyUnread(p page) bool {
	if p.Counts.UnreadNotifications > 0 {
		return true
	}
	for _, n := range v.List {
		if n.Unread() {
			return true
		}
	}
	return false
}

// notifications is /notifications: the member's notifications, newest first (?before=).
func (s *Server) notifications(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	before, err := forum.ParseNotificationCursor("before", r.URL.Query().Get("before"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, next, err := s.forum.Notifications(r.Context(), v, before, 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view := notificationsView{List: list}
	if next != 0 {
		view.Next = "/notifications?before=" + strconv.FormatInt(next, 10)
	}
	w.Header().Set("Cache-Control", "private, no-store")
	s.render(w, r, http.StatusOK, notificationsPage(s.page(r, "Notifications"), view))
}

// markNotificationRead marks one notification read and returns to the list.
func (s *Server) markNotificationRead(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	id, err := idParam(r, "id")
	if err == nil {
		err = parseForm(w, r, maxFormBytes)
	}
	if err == nil {
		err = s.forum.MarkNotificationRead(r.Context(), v, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, backTo(r, "/notifications"))
}

// markAllNotificationsRead marks every notification read.
func (s *Server) markAllNotificationsRead(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	if _, err := s.forum.MarkAllNotificationsRead(r.Context(), v); err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, "/notifications")
}
