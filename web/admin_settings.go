package web

import (
	"net/http"

	"github.com/stoa-forum/stoa/forum"
)

func (s *Server) adminSettings(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireAdmin(w, r); !ok {
		return
	}
	cur, err := s.forum.SiteSettings(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in := forum.SiteSettingsInput{SiteName: cur.SiteName, Description: cur.Description, LogoURL: cur.LogoURL,
		CustomCSS: cur.CustomCSS, Rules: cur.RulesSource, RegistrationOpen: cur.RegistrationOpen, ConfirmEmail: cur.ConfirmEmail, ReportRules: cur.ReportRules}
	msg := ""
	if r.URL.Query().Get("saved") == "1" {
		msg = "Saved."
	}
	s.render(w, r, http.StatusOK, adminSettingsPage(s.page(r, "Site settings"), in, formState{}, msg))
}

func (s *Server) saveAdminSettings(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	if err := parseForm(w, r, maxFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	f := r.PostForm
	in := forum.SiteSettingsInput{SiteName: f.Get("site_name"), Description: f.Get("description"), LogoURL: f.Get("logo_url"),
		CustomCSS: f.Get("custom_css"), Rules: f.Get("rules"), RegistrationOpen: f.Get("registration_open") == "1", ConfirmEmail: f.Get("confirm_email") == "1",
		ReportRules: forum.ReportRulesFromText(f.Get("report_rules"))}
	if _, err := s.forum.UpdateSiteSettings(r.Context(), v, in); err != nil {
		st, status, ok := formError(err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, status, adminSettingsPage(s.page(r, "Site settings"), in, st, ""))
		return
	}
	http.Redirect(w, r, "/admin/settings?saved=1", http.StatusSeeOther)
}
