package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/a-h/templ"

	"github.com/stoa-forum/stoa/forum"
)

// adminReports is /admin/reports: the moderation queue, open reports newest first (?before=).
func (s *Server) adminReports(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireStaff(w, r)
	if !ok {
		return
	}
	before, err := forum.ParseReportCursor(r.URL.Query().Get("before"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reports, next, err := s.forum.OpenReports(r.Context(), v, before, 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view := adminReportsView{Reports: reports, Viewer: v}
	if next != 0 {
		view.Next = "/admin/reports?before=" + strconv.FormatInt(next, 10)
	}
	switch r.URL.Query().Get("done") {
	case "":
	case "closed":
		view.Notice = "Someone else dealt with that report first."
	case "forwarded":
		view.Notice = "The report is forwarded to the account's server."
	default:
		view.Notice = "Done; the report is closed."
	}
	w.Header().Set("Cache-Control", "private, no-store")
	s.render(w, r, http.StatusOK, adminReportsPage(s.page(r, "Reports"), view))
}

// banDurations are the bans the queue offers, by form value.
var banDurations = map[string]time.Duration{"1d": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour, "permanent": 0}

// resolveReport is POST /admin/reports/{id}: one of dismiss, hide_post, delete_post, ban_member.
func (s *Server) resolveReport(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireStaff(w, r)
	if !ok {
		return
	}
	id, err := idParam(r, "id")
	if err == nil {
		err = parseForm(w, r, maxFormBytes)
	}
	var res forum.ReportResolution
	if err == nil {
		res.Action, err = forum.ParseReportAction(r.PostForm.Get("action"))
	}
	if err == nil && res.Action == forum.BanReportedMember {
		d, known := banDurations[r.PostForm.Get("ban_for")]
		switch {
		case !known:
			err = forum.Invalid("ban_for", "choose how long the ban lasts")
		case d > 0:
			until := time.Now().Add(d)
			res.BanUntil = &until
		}
	}
	if err == nil {
		err = s.forum.ResolveReport(r.Context(), v, id, res)
	}
	if errors.Is(err, forum.ErrReportClosed) {
		seeOther(w, r, "/admin/reports?done=closed")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, "/admin/reports?done="+string(res.Action))
}

// confirmAttr asks app.js to confirm a form's submission with msg ("" for no question).
func confirmAttr(msg string) templ.Attributes {
	if msg == "" {
		return templ.Attributes{}
	}
	return templ.Attributes{"data-confirm": msg}
}

// currentPage marks the navigation link of the page being shown.
func currentPage(current bool) templ.Attributes {
	if !current {
		return templ.Attributes{}
	}
	return templ.Attributes{"aria-current": "page"}
}
