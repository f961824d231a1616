package web

import (
	"net/http"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

// The caller's notifications, for bots that answer mentions and replies (docs/API.md).

type apiNotificationThread struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

type apiNotificationPost struct {
	ID  int64  `json:"id"`
	URL string `json:"url"`
}

type apiNotification struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	CreatedAt time.Time `json:"created_at"`
	Read      bool      `json:"read"`
	Actor     apiAuthor `json:"actor"`
	// Thread and Post are null when the caller may no longer read the post (deleted, hidden, or
	// in a category they lost access to), as the notifications page names neither.
	Thread *apiNotificationThread `json:"thread"`
	Post   *apiNotificationPost   `json:"post"`
}

type apiNotificationList struct {
	Notifications []apiNotification `json:"notifications"`
	NextCursor    *string           `json:"next_cursor"`
}

// apiNotifications: GET /api/v1/notifications[?cursor=] -> {notifications, next_cursor}, newest
// first. Reading them marks nothing read: a bot says what it has handled (apiMarkNotificationRead).
func (s *Server) apiNotifications(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	before, err := forum.ParseNotificationCursor("cursor", r.URL.Query().Get("cursor"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, next, err := s.forum.Notifications(r.Context(), v, before, forum.NotificationsPerPage)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := apiNotificationList{Notifications: make([]apiNotification, 0, len(list))}
	for _, n := range list {
		out.Notifications = append(out.Notifications, s.apiNotificationOf(n))
	}
	if next != 0 {
		out.NextCursor = nextCursor(itoa(next))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiNotificationOf(n forum.Notification) apiNotification {
	out := apiNotification{ID: n.ID, Kind: string(n.Kind), CreatedAt: n.CreatedAt.UTC(), Read: !n.Unread(), Actor: s.apiAuthorOf(n.Author)}
	if n.Available {
		out.Thread = &apiNotificationThread{ID: n.ThreadID, Title: n.ThreadTitle, URL: s.abs(threadPath(n.ThreadID))}
		out.Post = &apiNotificationPost{ID: n.PostID, URL: s.abs(postPath(n.PostID))}
	}
	return out
}

// apiMarkNotificationRead: POST /api/v1/notifications/{id}/read -> 204. Another member's
// notification is 404, as an unknown one is.
func (s *Server) apiMarkNotificationRead(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.forum.MarkNotificationRead(r.Context(), v, id); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiMarkAllNotificationsRead: POST /api/v1/notifications/read -> {"marked": n}, how many were
// unread.
func (s *Server) apiMarkAllNotificationsRead(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	n, err := s.forum.MarkAllNotificationsRead(r.Context(), v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int64{"marked": n})
}
