package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/stoa-forum/stoa/forum"
)

// memberThreads is /u/{username}: the profile and the threads they started.
// atProfile sends /@name (and /@name@host) to /u/name (/u/name@host), where this forum shows the
// person: a member of this forum by their full handle, @name@this-host, to their own page.
func (s *Server) atProfile(w http.ResponseWriter, r *http.Request) {
	handle := chi.URLParam(r, "username")
	if h, err := url.PathUnescape(handle); err == nil {
		handle = h // chi gives the escaped segment when the path holds escapes
	}
	http.Redirect(w, r, "/u/"+url.PathEscape(s.localName(handle)), http.StatusMovedPermanently)
}

// ownHandle reports whether handle is [@]name@this-forum's-host (the full handle the API and the
// pages give a member or category of this forum), and gives the name.
func (s *Server) ownHandle(handle string) (string, bool) {
	name, host, ok := strings.Cut(strings.TrimPrefix(handle, "@"), "@")
	if !ok || s.public == nil || !strings.EqualFold(host, s.public.Host) {
		return "", false
	}
	return name, true
}

// localName is handle with this forum's host taken off when it is a full handle of this forum
// (name@this-host is name); any other handle is returned as it is.
func (s *Server) localName(handle string) string {
	if name, ok := s.ownHandle(handle); ok {
		return name
	}
	return handle
}

func (s *Server) memberThreads(w http.ResponseWriter, r *http.Request) {
	s.memberPage(w, r, "threads")
}

// memberPosts is /u/{username}/posts: the profile and everything they wrote.
func (s *Server) memberPosts(w http.ResponseWriter, r *http.Request) {
	s.memberPage(w, r, "posts")
}

func (s *Server) memberPage(w http.ResponseWriter, r *http.Request, tab string) {
	prof, err := s.forum.Profile(r.Context(), chi.URLParam(r, "username"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	before, err := forum.ParseMemberActivityCursor(r.URL.Query().Get("before"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if prof.PostCount, err = s.forum.PostCountFor(r.Context(), viewerOf(r), prof); err != nil {
		s.fail(w, r, err)
		return
	}
	view := memberPageView{Profile: prof, Handle: s.fullHandle(prof.Username, ""), Tab: tab}
	var next forum.MemberActivityCursor
	base := "/u/" + prof.Username
	if tab == "posts" {
		base += "/posts"
		view.Posts, next, err = s.forum.MemberPosts(r.Context(), viewerOf(r), prof.ID, before, forum.DefaultMemberActivityLimit)
	} else {
		view.Threads, next, err = s.forum.MemberThreads(r.Context(), viewerOf(r), prof.ID, before, forum.DefaultMemberActivityLimit)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !next.IsZero() {
		view.Next = base + "?before=" + url.QueryEscape(next.String())
	}
	s.render(w, r, http.StatusOK, memberPage(s.page(r, prof.Name()), view))
}
