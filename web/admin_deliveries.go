package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

// The admin's view of outgoing federation: the queues, a domain's health and queue (with "retry
// now"), and one post's deliveries by domain. What is shown is read through forum; the one action
// that touches the job queue goes through DeliveryControl, which cmd/stoa plugs in (web may not
// import the outbox).

// DeliveryControl is what the delivery pages ask of the outbox.
type DeliveryControl interface {
	// RetryDomain makes a domain's waiting deliveries available at once; it returns how many.
	RetryDomain(ctx context.Context, domain string) (int, error)
}

// adminDeliveries is /admin/deliveries: the queues by state, the last day's deliveries, and the
// domains that fail.
func (s *Server) adminDeliveries(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireAdmin(w, r); !ok {
		return
	}
	// The form on the page asks for a post by number.
	if v := r.URL.Query().Get("post"); v != "" {
		if id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && id > 0 {
			seeOther(w, r, "/admin/deliveries/posts/"+itoa(id))
			return
		}
	}
	ov, err := s.forum.DeliveryOverviewOf(r.Context(), viewerOf(r), time.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, adminDeliveriesPage(s.page(r, "Deliveries"), ov))
}

// domainPath is the admin page of a domain.
func domainPath(domain string) string { return "/admin/deliveries/domains/" + url.PathEscape(domain) }

// deliveryState names a delivery's state as the pages show it: a pending delivery that failed
// before is retrying.
func deliveryState(state forum.DeliveryState, lastError string) string {
	if state == forum.DeliveryPending && lastError != "" {
		return "retrying"
	}
	return string(state)
}

func statusText(status *int) string {
	if status == nil || *status == 0 {
		return ""
	}
	return strconv.Itoa(*status)
}
