package forum

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// SiteSettings are the forum's own settings, edited by admins.
type SiteSettings struct {
	SiteName    string `db:"site_name"`
	Description string `db:"description"`
	// LogoURL is an https URL or a local path; empty for none.
	LogoURL string `db:"logo_url"`
	// CustomCSS is served as /site.css; it is never inlined in a page.
	CustomCSS   string `db:"custom_css"`
	RulesSource string `db:"rules_source"`
	// RulesHTML is the rules page rendered from RulesSource, its MAC checked.
	RulesHTML        string `db:"rules_html"`
	RulesHTMLMAC     []byte `db:"rules_html_mac"`
	RegistrationOpen bool   `db:"registration_open"`
	// ConfirmEmail asks members who sign up (or change their address) while it is on to confirm
	// their address before they post (email_confirmation.go).
	ConfirmEmail bool      `db:"confirm_email"`
	UpdatedAt    time.Time `db:"updated_at"`
	// ReportRules are the rules a report can say were broken, in the order the report form lists
	// them (report.go).
	ReportRules []string `db:"report_rules"`
}

// SiteSettingsInput is what the admin settings form sends.
type SiteSettingsInput struct {
	SiteName         string
	Description      string
	LogoURL          string
	CustomCSS        string
	Rules            string
	RegistrationOpen bool
	ConfirmEmail     bool
	ReportRules      []string
}

// Limits of the site settings.
const (
	MaxSiteNameLen    = 60
	MaxDescriptionLen = 500
	MaxCustomCSSBytes = 64 << 10
	MaxRulesLen       = 50_000
	maxLogoURLLen     = 500
	MaxReportRules    = 30
	MaxReportRuleLen  = 200
)

// siteSettingsTTL bounds how long another instance keeps serving settings changed elsewhere when
// it does not hear of the change: the instance that made it drops its copy at once, and the others
// when the notification on siteChannel arrives (migration 0106; ListenForChanges listens).
const siteSettingsTTL = 30 * time.Second

// siteChannel is notified by every change to the settings row.
const siteChannel = "stoa_site_changed"

// siteCache keeps the settings row in memory (reloadingCache): every page's layout needs the site
// name, and a query per page view for a row that changes a few times a year is waste.
type siteCache = reloadingCache[SiteSettings]

func newSiteCache() *siteCache {
	return &siteCache{ttl: siteSettingsTTL, maxAge: 10 * siteSettingsTTL}
}

const siteSettingsColumns = `site_name, description, logo_url, custom_css, rules_source, rules_html,
	rules_html_mac, registration_open, confirm_email, updated_at, report_rules`

// rulesMACKind binds the rules HTML's MAC to this use (the row id is always 1).
const rulesMACKind = "site-rules"

// SiteSettings returns the settings from the in-process cache (see siteCache), loading them when
// there is no copy to serve.
func (f *Forum) SiteSettings(ctx context.Context) (SiteSettings, error) {
	return f.site.get(ctx, f.loadSiteSettings)
}

// loadSiteSettings reads the settings row (re-rendering the rules if their MAC does not match).
func (f *Forum) loadSiteSettings(ctx context.Context) (SiteSettings, error) {
	rows, err := f.db.Query(ctx, `SELECT `+siteSettingsColumns+` FROM site_settings`)
	if err != nil {
		return SiteSettings{}, fmt.Errorf("site settings: %w", err)
	}
	s, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[SiteSettings])
	if err != nil {
		return SiteSettings{}, fmt.Errorf("site settings: %w", err)
	}
	if !(s.RulesSource == "" && s.RulesHTML == "") && !f.secrets.htmlOK(rulesMACKind, 1, s.RulesHTML, s.RulesHTMLMAC) {
		// Written by someone without the key (or by an older secret): re-render from source.
		s.RulesHTML = f.renderMarkdown(s.RulesSource)
		s.RulesHTMLMAC = f.secrets.macHTML(rulesMACKind, 1, s.RulesHTML)
		if _, err := f.db.Exec(ctx, `UPDATE site_settings SET rules_html = $1, rules_html_mac = $2`, s.RulesHTML, s.RulesHTMLMAC); err != nil {
			return SiteSettings{}, fmt.Errorf("site settings: store re-rendered rules: %w", err)
		}
	}
	return s, nil
}

// UpdateSiteSettings replaces the settings. Admins only; recorded in the moderation log.
func (f *Forum) UpdateSiteSettings(ctx context.Context, by Viewer, in SiteSettingsInput) (SiteSettings, error) {
	if !by.IsAdmin() {
		return SiteSettings{}, fmt.Errorf("site settings: %w", ErrForbidden)
	}
	in.SiteName = cleanLine(in.SiteName)
	in.Description = strings.TrimSpace(in.Description)
	in.LogoURL = strings.TrimSpace(in.LogoURL)
	v := &ValidationError{}
	if n := len([]rune(in.SiteName)); n == 0 || n > MaxSiteNameLen {
		v.Add("site_name", "must be 1 to %d characters", MaxSiteNameLen)
	}
	if len([]rune(in.Description)) > MaxDescriptionLen {
		v.Add("description", "must be at most %d characters", MaxDescriptionLen)
	}
	if in.LogoURL != "" && !validLogoURL(in.LogoURL) {
		v.Add("logo_url", "must be an https URL or a path on this site starting with /")
	}
	if len(in.CustomCSS) > MaxCustomCSSBytes {
		v.Add("custom_css", "must be at most %d KiB", MaxCustomCSSBytes>>10)
	}
	if len([]rune(in.Rules)) > MaxRulesLen {
		v.Add("rules", "must be at most %d characters", MaxRulesLen)
	}
	in.ReportRules = cleanReportRules(in.ReportRules)
	if len(in.ReportRules) > MaxReportRules {
		v.Add("report_rules", "at most %d rules", MaxReportRules)
	}
	for _, r := range in.ReportRules {
		if len([]rune(r)) > MaxReportRuleLen {
			v.Add("report_rules", "each rule must be at most %d characters", MaxReportRuleLen)
			break
		}
	}
	if err := v.Err(); err != nil {
		return SiteSettings{}, err
	}
	html := f.renderMarkdown(in.Rules)
	mac := f.secrets.macHTML(rulesMACKind, 1, html)
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE site_settings SET site_name = $1, description = $2, logo_url = $3,
				custom_css = $4, rules_source = $5, rules_html = $6, rules_html_mac = $7, registration_open = $8,
				report_rules = $9, confirm_email = $10, updated_at = now()`,
			in.SiteName, in.Description, in.LogoURL, in.CustomCSS, in.Rules, html, mac, in.RegistrationOpen, in.ReportRules, in.ConfirmEmail)
		if err != nil {
			return err
		}
		return f.logModeration(ctx, tx, by, ModerationEntry{Action: "update_site_settings",
			Details: modDetails(map[string]any{"site_name": in.SiteName, "registration_open": in.RegistrationOpen,
				"confirm_email": in.ConfirmEmail})})
	})
	f.site.invalidate()
	if err != nil {
		return SiteSettings{}, fmt.Errorf("site settings: %w", err)
	}
	return f.SiteSettings(ctx)
}

// ReportRulesFromText reads the admin form's report rules: one per line.
func ReportRulesFromText(text string) []string {
	return cleanReportRules(strings.Split(text, "\n"))
}

// cleanReportRules trims the rules and drops empty lines and repeats.
func cleanReportRules(rules []string) []string {
	out := []string{}
	for _, r := range rules {
		r = cleanLine(r)
		if r != "" && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

func validLogoURL(s string) bool {
	if len(s) > maxLogoURLLen || strings.ContainsAny(s, " \t\r\n\\") {
		return false
	}
	if strings.HasPrefix(s, "/") {
		return !strings.HasPrefix(s, "//")
	}
	// Not plain http: the pages' Content-Security-Policy would block the image (mixed content).
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil
}

// renderMarkdown renders through the Markup hook; an empty text is empty HTML whatever the hook does.
func (f *Forum) renderMarkdown(source string) string {
	if strings.TrimSpace(source) == "" {
		return ""
	}
	return f.markup.RenderMarkdown(source).HTML
}
