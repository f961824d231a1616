package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/outbox"
)

// newOutbox builds the federation outbox from the configuration. Its jobs' timeouts are kept
// below River's rescue delay, so a slow job is never presumed lost and run twice.
func newOutbox(cfg *Config, log *slog.Logger, f *forum.Forum, fed *federation.Federation, policy federation.DomainPolicy,
	reg prometheus.Registerer) (*outbox.Outbox, error) {
	d := cfg.Delivery
	ob, err := outbox.New(outbox.Options{
		Forum:      f,
		Federation: fed,
		Policy:     policy,
		Transport:  federation.TransportOptions{UnsafeLocal: cfg.UnsafeLocalFederation, HostMap: cfg.UnsafeHostMap},
		Log:        log,
		Registerer: reg,
		UserAgent:  fmt.Sprintf("stoa/%s (+%s/)", version, fed.IRIs.Base()),

		DeliveryWorkers: d.Workers,
		PerHost:         d.PerHost,
		FetchCooldown:   d.FetchCooldown,
		RequestTimeout:  min(d.Timeout, d.RescueAfter-15*time.Second),
		FanOutTimeout:   min(2*time.Minute, d.RescueAfter-5*time.Second),
		BackoffUnit:     d.BackoffUnit,
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return ob, nil
}
