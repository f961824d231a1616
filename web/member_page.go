package web

import (
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/stoa-forum/stoa/forum"
)

// memberThreads is /u/{username}: the profile and the threads they started.
// atProfile sends /@name (and /@name@host) to /u/name, where this forum shows the person.
func (s *Server) atProfile(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/u/"+url.PathEscape(chi.URLParam(r, "username")), http.StatusMovedPermanently)
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
