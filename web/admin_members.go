package web

import (
	"net/http"
	"net/url"

	"github.com/stoa-forum/stoa/forum"
)

// adminMembers is /admin/members: everyone, newest first, or a username-prefix search.
func (s *Server) adminMembers(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireStaff(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	view := adminMembersView{Query: q.Get("q")}
	page, err := s.forum.ListMembers(r.Context(), v, forum.MemberListQuery{Prefix: view.Query, After: q.Get("after")})
	if err != nil {
		st, status, ok := formError(err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		view.Form = st
		s.render(w, r, status, adminMembersPage(s.page(r, "Members"), view))
		return
	}
	view.Page = page
	if page.Next != "" {
		next := url.Values{"after": {page.Next}}
		if view.Query != "" {
			next.Set("q", view.Query)
		}
		view.Next = "/admin/members?" + next.Encode()
	}
	w.Header().Set("Cache-Control", "private, no-store")
	s.render(w, r, http.StatusOK, adminMembersPage(s.page(r, "Members"), view))
}
