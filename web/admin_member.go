package web

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/stoa-forum/stoa/forum"
)

// adminMember is /admin/members/{username}: the member's details and the actions the viewer may
// take on them.
func (s *Server) adminMember(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireStaff(w, r); !ok {
		return
	}
	m, err := s.forum.MemberByUsername(r.Context(), chi.URLParam(r, "username"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view := adminMemberView{Member: m}
	switch r.URL.Query().Get("done") {
	case "ban":
		view.Notice = "The member is banned and was signed out everywhere."
	case "unban":
		view.Notice = "The ban was lifted."
	case "role":
		view.Notice = "The role was changed."
	}
	w.Header().Set("Cache-Control", "private, no-store")
	s.render(w, r, http.StatusOK, adminMemberPage(s.page(r, m.Username), view))
}

// adminMemberAction loads the member an action is about, after checking the viewer is staff.
func (s *Server) adminMemberAction(w http.ResponseWriter, r *http.Request) (forum.Viewer, forum.Member, bool) {
	v, ok := s.requireStaff(w, r)
	if !ok {
		return v, forum.Member{}, false
	}
	if err := parseForm(w, r, maxFormBytes); err != nil {
		s.fail(w, r, err)
		return v, forum.Member{}, false
	}
	m, err := s.forum.MemberByUsername(r.Context(), chi.URLParam(r, "username"))
	if err != nil {
		s.fail(w, r, err)
		return v, forum.Member{}, false
	}
	return v, m, true
}

func (s *Server) adminBan(w http.ResponseWriter, r *http.Request) {
	v, m, ok := s.adminMemberAction(w, r)
	if !ok {
		return
	}
	view := adminMemberView{Member: m, Until: r.PostForm.Get("until"), Reason: r.PostForm.Get("reason")}
	var until *time.Time // nil: permanent
	var err error
	permanent := r.PostForm.Get("permanent") == "1"
	switch {
	case permanent && view.Until != "":
		err = forum.Invalid("until", "a ban is either until a date or permanent: clear the date, or untick “permanent”")
	case permanent:
	case view.Until == "":
		err = forum.Invalid("until", "choose an end date, or tick “permanent”")
	default:
		t, perr := time.Parse("2006-01-02", view.Until)
		if perr != nil {
			err = forum.Invalid("until", "must be a date (YYYY-MM-DD)")
		} else {
			until = &t
		}
	}
	if err == nil {
		err = s.forum.BanMember(r.Context(), v, m.ID, until, view.Reason)
	}
	if err != nil {
		st, status, ok := formError(err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		view.BanForm = st
		s.render(w, r, status, adminMemberPage(s.page(r, m.Username), view))
		return
	}
	http.Redirect(w, r, "/admin/members/"+m.Username+"?done=ban", http.StatusSeeOther)
}

func (s *Server) adminUnban(w http.ResponseWriter, r *http.Request) {
	v, m, ok := s.adminMemberAction(w, r)
	if !ok {
		return
	}
	if err := s.forum.UnbanMember(r.Context(), v, m.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/members/"+m.Username+"?done=unban", http.StatusSeeOther)
}

func (s *Server) adminSetRole(w http.ResponseWriter, r *http.Request) {
	v, m, ok := s.adminMemberAction(w, r)
	if !ok {
		return
	}
	if err := s.forum.SetRole(r.Context(), v, m.ID, forum.Role(r.PostForm.Get("role"))); err != nil {
		st, status, ok := formError(err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, status, adminMemberPage(s.page(r, m.Username), adminMemberView{Member: m, RoleForm: st}))
		return
	}
	http.Redirect(w, r, "/admin/members/"+m.Username+"?done=role", http.StatusSeeOther)
}
