package inbox

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stoa-forum/stoa/forum"
)

// metrics count what the inbox answered and what applying came to. River's own depth of the
// inbox's queue is reported with every queue's as stoa_jobs{queue="inbox_apply"}.
type metrics struct {
	requests *prometheus.CounterVec
	applied  *prometheus.CounterVec
	gaveWay  prometheus.Counter
	// replyGroups and groupedReplies count the groups of replies stored in one transaction
	// (reply_group.go) and the replies they stored or answered.
	replyGroups    prometheus.Counter
	groupedReplies prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, _ *forum.Forum) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stoa_inbox_requests_total",
			Help: "Requests to the inboxes by result (accepted, duplicate, bad_signature, rate_limited, ...)."}, []string{"result"}),
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "stoa_inbox_applied_total",
			Help: "Recorded activities applied, by type and result (applied, ignored, failed, retry)."}, []string{"type", "result"}),
		gaveWay: prometheus.NewCounter(prometheus.CounterOpts{Name: "stoa_inbox_apply_gave_way_total",
			Help: "Times an apply job waited for the HTTP requests in flight before applying an activity (Options.GiveWay)."}),
		replyGroups: prometheus.NewCounter(prometheus.CounterOpts{Name: "stoa_inbox_reply_groups_total",
			Help: "Groups of received replies stored in one transaction (Options.ReplyGroup)."}),
		groupedReplies: prometheus.NewCounter(prometheus.CounterOpts{Name: "stoa_inbox_grouped_replies_total",
			Help: "Received replies stored, or found stored or refused, by a group's transaction."}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.applied, m.gaveWay, m.replyGroups, m.groupedReplies)
	}
	return m
}

func (m *metrics) request(result string) { m.requests.WithLabelValues(result).Inc() }

// knownTypes keeps the type label's values bounded whatever peers send.
var knownTypes = map[string]bool{"Create": true, "Update": true, "Delete": true, "Follow": true, "Accept": true,
	"Reject": true, "Undo": true, "Like": true, "Dislike": true, "Announce": true, "Flag": true, "Block": true,
	"Add": true, "Remove": true, "Move": true, "Lock": true}

func (m *metrics) apply(typ, result string) {
	if !knownTypes[typ] {
		typ = "other"
	}
	m.applied.WithLabelValues(typ, result).Inc()
}
