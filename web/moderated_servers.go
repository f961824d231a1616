package web

import (
	"net/http"
	"strings"

	"github.com/stoa-forum/stoa/forum"
)

// moderatedServers is /moderated-servers: the public list of the servers this forum limits, with
// severity and public comment, obfuscated where the admin asked (Mastodon's "moderated servers"
// on its about page). Private comments and the lists the rules came from are never shown.
func (s *Server) moderatedServers(w http.ResponseWriter, r *http.Request) {
	rules, err := s.forum.PublicDomainRules(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	mode, err := s.forum.FederationMode(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, moderatedServersPage(s.page(r, "Moderated servers"), rules, mode))
}

// publicSeverity names what a rule does, in the words of Mastodon's list.
func publicSeverity(r forum.DomainRule) string {
	s := map[forum.DomainSeverity]string{forum.SeveritySuspend: "Suspended", forum.SeveritySilence: "Limited"}[r.Severity]
	var extra []string
	if r.RejectMedia && r.Severity != forum.SeveritySuspend {
		extra = append(extra, "media rejected")
	}
	if r.RejectReports && r.Severity != forum.SeveritySuspend {
		extra = append(extra, "reports rejected")
	}
	if len(extra) > 0 {
		if s != "" {
			s += "; "
		}
		s += strings.Join(extra, ", ")
	}
	return s
}
