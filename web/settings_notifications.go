package web

import "net/http"

// notificationSettings is /settings/notifications: whether notifications also come by e-mail.
func (s *Server) notificationSettings(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	on, err := s.forum.EmailNotifications(r.Context(), v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	notice := ""
	if r.URL.Query().Get("saved") == "1" {
		notice = "Saved."
	}
	w.Header().Set("Cache-Control", "private, no-store")
	s.render(w, r, http.StatusOK, notificationSettingsPage(s.page(r, "Notifications"), on, notice))
}

func (s *Server) saveNotificationSettings(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	if err := parseForm(w, r, maxFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.forum.SetEmailNotifications(r.Context(), v, r.PostForm.Get("email") == "1"); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings/notifications?saved=1", http.StatusSeeOther)
}
