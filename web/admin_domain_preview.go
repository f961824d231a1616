package web

import (
	"net/http"
	"strconv"

	"github.com/stoa-forum/stoa/forum"
)

// adminDomainPreview is /admin/domains/preview: what a block (or a change of one) will touch,
// counted from the database now, and the one button that applies it. It changes nothing. The
// block form POSTs here, so the private comment stays out of URLs and access logs; a rule's
// "Change" link GETs it with the rule's public values, and the private comment is the rule's own.
func (s *Server) adminDomainPreview(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	values := r.URL.Query()
	if r.Method == http.MethodPost {
		if err := parseForm(w, r, maxFormBytes); err != nil {
			s.fail(w, r, err)
			return
		}
		values = r.PostForm
	}
	form := readDomainBlockForm(values)
	if r.Method == http.MethodGet {
		if current, err := s.forum.DomainBlock(r.Context(), v, form.Domain); err == nil {
			form.PrivateComment = current.PrivateComment
		}
	}
	radius, err := s.forum.BlastRadius(r.Context(), v, form.input())
	if st, status, ok := formError(err); ok {
		s.showAdminDomains(w, r, status, adminDomainsView{Form: form, State: st})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	form.Domain = radius.Domain
	form.Severity = string(radius.Proposed.Severity)
	s.render(w, r, http.StatusOK, adminDomainPreviewPage(s.page(r, "Block "+radius.Domain), form, radius))
}

// adminAllowlistPreview is /admin/domains/mode?mode=allowlist: which known servers switching to
// allowlist mode cuts off, and the button that switches.
func (s *Server) adminAllowlistPreview(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	radius, err := s.forum.AllowlistBlastRadius(r.Context(), v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, adminAllowlistPreviewPage(s.page(r, "Allowlist mode"), radius))
}

// adminSetFederationMode switches between blocklist and allowlist mode.
func (s *Server) adminSetFederationMode(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	if err := parseForm(w, r, maxFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	mode, err := forum.ParseFederationMode(r.PostFormValue("mode"))
	if err == nil {
		_, err = s.forum.SetFederationMode(r.Context(), v, mode)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, "/admin/domains?mode="+string(mode))
}

// radiusCount writes a blast radius's capped count (forum.BlastCountCap): past the cap, "more than"
// it, since the count stopped there.
func radiusCount(n int) string {
	if n > forum.BlastCountCap {
		return "more than " + strconv.Itoa(forum.BlastCountCap)
	}
	return strconv.Itoa(n)
}
