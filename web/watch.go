package web

import (
	"net/http"

	"github.com/stoa-forum/stoa/forum"
)

// watchThread and watchCategory answer the watch / track / mute buttons: a form post with the
// level, back to the page (post/redirect/get), so they work without JavaScript.

func (s *Server) watchThread(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	id, err := idParam(r, "id")
	if err == nil {
		err = parseForm(w, r, maxFormBytes)
	}
	var level forum.WatchLevel
	if err == nil {
		level, err = forum.ParseWatchLevel(r.PostFormValue("level"))
	}
	if err == nil {
		err = s.forum.SetThreadLevel(r.Context(), v, id, level)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, backTo(r, threadPath(id)))
}

func (s *Server) watchCategory(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	c, err := s.forum.CategoryByHandle(r.Context(), s.categoryHandleParam(r))
	if err == nil {
		err = parseForm(w, r, maxFormBytes)
	}
	var level forum.WatchLevel
	if err == nil {
		level, err = forum.ParseWatchLevel(r.PostFormValue("level"))
	}
	if err == nil {
		err = s.forum.SetCategoryLevel(r.Context(), v, c.ID, level)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, backTo(r, categoryPath(c.Handle())))
}

// threadUnread is /t/{id}/unread: the viewer's first unread post in the thread (the last post
// when they have read everything, the first for guests).
func (s *Server) threadUnread(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	postID, page, err := s.forum.FirstUnread(r.Context(), viewerOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, postAnchorPath(id, page, postID))
}

// watchLabel names a level on its button; watchHint says what it means.
func watchLabel(l forum.WatchLevel) string {
	switch l {
	case forum.Watching:
		return "Watch"
	case forum.Muted:
		return "Mute"
	}
	return "Track"
}

func watchHint(l forum.WatchLevel, category bool) string {
	switch {
	case l == forum.Watching && category:
		return "You are told of every new thread here."
	case l == forum.Watching:
		return "You are told of every new post."
	case l == forum.Muted:
		return "You are told of nothing here but mentions of you, and the lists show nothing new here."
	case category:
		return "You are told of replies to you and mentions; start or reply to a thread to watch it."
	}
	return "You are told of replies to you and mentions."
}
