package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// adminDeliveryDomain is /admin/deliveries/domains/{domain}: the domain's health, its queue and
// its latest deliveries.
func (s *Server) adminDeliveryDomain(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireAdmin(w, r); !ok {
		return
	}
	st, err := s.forum.DomainDeliveryStatus(r.Context(), viewerOf(r), chi.URLParam(r, "domain"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, adminDeliveryDomainPage(s.page(r, st.Domain.Domain), st, r.URL.Query().Get("retried")))
}

// adminRetryDomain is "retry now": the domain's failure record is cleared (it is delivered to
// again, not skipped) and its waiting deliveries are made available at once.
func (s *Server) adminRetryDomain(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireAdmin(w, r); !ok {
		return
	}
	domain := chi.URLParam(r, "domain")
	if _, err := s.forum.DomainByName(r.Context(), domain); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.forum.ResetDomain(r.Context(), viewerOf(r), domain); err != nil {
		s.fail(w, r, err)
		return
	}
	n := 0
	if s.deliveries != nil {
		var err error
		if n, err = s.deliveries.RetryDomain(r.Context(), domain); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	seeOther(w, r, domainPath(domain)+"?retried="+itoa(int64(n)))
}
