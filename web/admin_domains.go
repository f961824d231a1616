package web

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/stoa-forum/stoa/forum"
)

// The admin's domain moderation: /admin/domains lists the rules in force (their own blocks and
// their subscribed lists'), the allowed domains and the federation mode, with the form to block a
// domain. A block is never applied from that form directly: it leads to its preview
// (admin_domain_preview.go), whose one button applies it.

// domainBlockForm is the block form's values, kept as posted so bad input loses nothing.
type domainBlockForm struct {
	Domain, Severity, PublicComment, PrivateComment string
	RejectMedia, RejectReports, Obfuscate           bool
}

func readDomainBlockForm(values url.Values) domainBlockForm {
	return domainBlockForm{Domain: values.Get("domain"), Severity: values.Get("severity"),
		PublicComment: values.Get("public_comment"), PrivateComment: values.Get("private_comment"),
		RejectMedia: values.Get("reject_media") != "", RejectReports: values.Get("reject_reports") != "",
		Obfuscate: values.Get("obfuscate") != ""}
}

// input is the form as forum takes it; an unknown severity is left for forum to refuse.
func (f domainBlockForm) input() forum.DomainBlockInput {
	return forum.DomainBlockInput{Domain: f.Domain, Severity: forum.DomainSeverity(f.Severity), RejectMedia: f.RejectMedia,
		RejectReports: f.RejectReports, PublicComment: f.PublicComment, PrivateComment: f.PrivateComment, Obfuscate: f.Obfuscate}
}

// query is the form as the preview's URL, without the private comment (kept out of URLs).
func (f domainBlockForm) query() string {
	q := url.Values{"domain": {f.Domain}, "severity": {f.Severity}, "public_comment": {f.PublicComment}}
	for name, on := range map[string]bool{"reject_media": f.RejectMedia, "reject_reports": f.RejectReports, "obfuscate": f.Obfuscate} {
		if on {
			q.Set(name, "1")
		}
	}
	return q.Encode()
}

type adminDomainsView struct {
	Rules  []forum.DomainRule
	Allows []forum.DomainAllow
	Mode   forum.FederationMode
	// Form and State are the block form's; Allow and AllowState the allow form's.
	Form       domainBlockForm
	State      formState
	Allow      allowForm
	AllowState formState
	Notice     string
}

// allowForm is the allow form's values (its fields are named allow_*: the page has two forms).
type allowForm struct{ Domain, Comment string }

// adminDomains is /admin/domains.
func (s *Server) adminDomains(w http.ResponseWriter, r *http.Request) {
	s.showAdminDomains(w, r, http.StatusOK, adminDomainsView{Form: domainBlockForm{Severity: string(forum.SeveritySuspend)}})
}

// showAdminDomains renders the page with view's forms (and problems) and the rules as they are.
func (s *Server) showAdminDomains(w http.ResponseWriter, r *http.Request, status int, view adminDomainsView) {
	v, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	rules, err := s.forum.DomainRules(ctx, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	allows, err := s.forum.DomainAllows(ctx, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	mode, err := s.forum.FederationMode(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view.Rules, view.Allows, view.Mode, view.Notice = rules, allows, mode, domainNotice(r.URL.Query())
	s.render(w, r, status, adminDomainsPage(s.page(r, "Domains"), view))
}

// domainNotice says what the change that redirected here did.
func domainNotice(q url.Values) string {
	switch {
	case q.Get("blocked") != "":
		return fmt.Sprintf("%s is blocked: %s accounts limited, %s queued deliveries cancelled.", q.Get("blocked"), q.Get("accounts"), q.Get("cancelled"))
	case q.Get("lifted") != "":
		if q.Get("still") != "" {
			return fmt.Sprintf("Your block of %s is lifted, but another rule still has it %s.", q.Get("lifted"), q.Get("still"))
		}
		return fmt.Sprintf("Your block of %s is lifted: its content shows again and severed follows are back.", q.Get("lifted"))
	case q.Get("allowed") != "":
		return q.Get("allowed") + " is allowed."
	case q.Get("disallowed") != "":
		return q.Get("disallowed") + " is no longer allowed."
	case q.Get("mode") != "":
		return "Federation mode: " + q.Get("mode") + "."
	case q.Get("imported") != "":
		return fmt.Sprintf("Imported: %s added, %s upgraded.", q.Get("imported"), q.Get("upgraded"))
	}
	return ""
}

// adminBlockDomain applies a block confirmed on its preview.
func (s *Server) adminBlockDomain(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	if err := parseForm(w, r, maxFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	form := readDomainBlockForm(r.PostForm)
	res, err := s.forum.BlockDomain(r.Context(), v, form.input())
	if st, status, ok := formError(err); ok {
		s.showAdminDomains(w, r, status, adminDomainsView{Form: form, State: st})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	domain, _ := s.forum.CanonicalDomain(form.Domain)
	q := url.Values{"blocked": {domain}, "accounts": {itoa(res.Accounts)}, "cancelled": {itoa(int64(res.Cancelled))}}
	seeOther(w, r, "/admin/domains?"+q.Encode())
}

// adminUnblockDomain lifts the admin's own block of a domain.
func (s *Server) adminUnblockDomain(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	if err := parseForm(w, r, maxFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	domain := chi.URLParam(r, "domain")
	if _, err := s.forum.UnblockDomain(r.Context(), v, domain, r.PostFormValue("reason")); err != nil {
		s.fail(w, r, err)
		return
	}
	q := url.Values{"lifted": {domain}}
	if verdict, err := s.forum.DomainVerdict(r.Context(), domain); err == nil && verdict.Limit > forum.LimitNone {
		q.Set("still", verdict.Limit.String())
	}
	seeOther(w, r, "/admin/domains?"+q.Encode())
}

// adminAllowDomain allows a domain: in allowlist mode one Stoa federates with, in either mode an
// override of subscribed lists' blocks.
func (s *Server) adminAllowDomain(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	if err := parseForm(w, r, maxFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	allow := allowForm{Domain: r.PostFormValue("allow_domain"), Comment: r.PostFormValue("allow_comment")}
	_, err := s.forum.AllowDomain(r.Context(), v, allow.Domain, allow.Comment)
	if st, status, ok := formError(err); ok {
		s.showAdminDomains(w, r, status, adminDomainsView{Form: domainBlockForm{Severity: string(forum.SeveritySuspend)},
			Allow: allow, AllowState: prefixProblems(st, "allow_")})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	canon, _ := s.forum.CanonicalDomain(allow.Domain)
	seeOther(w, r, "/admin/domains?"+url.Values{"allowed": {canon}}.Encode())
}

// prefixProblems renames a form's fields, for a page holding two forms with a field of one name.
func prefixProblems(st formState, prefix string) formState {
	out := formState{Message: st.Message, Problems: map[string]string{}}
	for k, v := range st.Problems {
		out.Problems[prefix+k] = v
	}
	return out
}

func (s *Server) adminDisallowDomain(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	domain := chi.URLParam(r, "domain")
	if _, err := s.forum.DisallowDomain(r.Context(), v, domain); err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, "/admin/domains?"+url.Values{"disallowed": {domain}}.Encode())
}

// adminExportDomains downloads the rules in force as Mastodon's CSV.
func (s *Server) adminExportDomains(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	out, err := s.forum.ExportDomainRules(r.Context(), v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="domain_blocks.csv"`)
	_, _ = w.Write(out)
}

// ruleOptions lists a rule's flags for the table.
func ruleOptions(r forum.DomainRule) string {
	out := ""
	add := func(on bool, s string) {
		if on {
			if out != "" {
				out += ", "
			}
			out += s
		}
	}
	add(r.RejectMedia, "rejects media")
	add(r.RejectReports, "rejects reports")
	add(r.Obfuscate, "obfuscated")
	add(r.Overridden, "overridden by an allow")
	return out
}

// changeQuery is the preview URL's query for changing a rule, starting from its values.
func changeQuery(r forum.DomainRule) string {
	return domainBlockForm{Domain: r.Domain, Severity: string(r.Severity), PublicComment: r.PublicComment,
		RejectMedia: r.RejectMedia, RejectReports: r.RejectReports, Obfuscate: r.Obfuscate}.query()
}
