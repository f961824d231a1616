package web

import (
	"net/http"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

// adminOverview is /admin: the figures of members, content and (for admins) federation, and the
// way into the other admin pages. Moderators see it too, with only the sections they may act on.
func (s *Server) adminOverview(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireStaff(w, r)
	if !ok {
		return
	}
	overview, err := s.forum.SiteOverviewOf(r.Context(), v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, adminOverviewPage(s.page(r, "Administration"), overview))
}

func now() time.Time { return time.Now() }

// banStatus says whether and until when a member is banned.
func banStatus(banned, forever bool, until *time.Time) string {
	switch {
	case !banned:
		return "active"
	case forever:
		return "banned permanently"
	case until != nil:
		return "banned until " + formatDateTime(*until)
	}
	return "banned"
}

// canBan mirrors forum.BanMember's rule so the page offers only what will be accepted: staff ban
// members, admins also moderators, nobody bans an admin or themselves.
func canBan(v forum.Viewer, m forum.Member) bool {
	switch {
	case !v.IsStaff(), v.ActorID == m.ID, m.Role == forum.RoleAdmin:
		return false
	case m.Role == forum.RoleModerator:
		return v.IsAdmin()
	}
	return true
}

func orConsole(handle string) string {
	if handle == "" {
		return "console"
	}
	return handle
}
