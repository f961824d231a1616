package main

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/inbox"
	"github.com/stoa-forum/stoa/internal/clientip"
	"github.com/stoa-forum/stoa/internal/giveway"
)

// newInbox builds the federation inboxes from the configuration. The apply job's timeout stays
// below River's rescue delay, so a slow job is never presumed lost and run twice.
func newInbox(cfg *Config, log *slog.Logger, f *forum.Forum, fed *federation.Federation, policy federation.DomainPolicy,
	reg prometheus.Registerer, gate *giveway.Gate) (*inbox.Inbox, error) {
	return inbox.New(inbox.Options{
		Forum:      f,
		Federation: fed,
		// The domain rules refuse a blocked domain's POSTs before any key is fetched.
		Policy:     policy,
		Log:        log,
		Registerer: reg,
		// The client address pays for failed signatures; behind a proxy it is the one the
		// proxy reports, as for the sign-in throttle.
		ClientIP:      func(r *http.Request) string { return clientip.Of(r, cfg.TrustedProxies).String() },
		Rate:          cfg.Inbox.Rate,
		Burst:         int(4 * cfg.Inbox.Rate),
		Workers:       cfg.Inbox.Workers,
		FetchCooldown: cfg.Delivery.FetchCooldown,
		JobTimeout:    min(75*time.Second, cfg.Delivery.RescueAfter-15*time.Second),
		// Reading a mirrored thread catches it up with its home at most this often.
		ThreadSyncEvery: cfg.Inbox.ThreadSyncEvery,
		// Applying, which nobody waits for, lets the requests being served go first.
		GiveWay:    gate,
		ReplyGroup: cfg.Inbox.ReplyGroup,
	})
}
