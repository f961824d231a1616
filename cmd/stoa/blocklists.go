package main

import (
	"fmt"
	"log/slog"

	"github.com/riverqueue/river"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
)

// newBlocklistFetcher fetches subscribed blocklists through federation's address-checking
// transport, under the same unsafe-local settings as every other outgoing request.
func newBlocklistFetcher(cfg *Config, fed *federation.Federation) *federation.BlocklistFetcher {
	return federation.NewBlocklistFetcher(federation.BlocklistFetcherOptions{
		Transport: federation.TransportOptions{UnsafeLocal: cfg.UnsafeLocalFederation, HostMap: cfg.UnsafeHostMap},
		UserAgent: fmt.Sprintf("stoa/%s (+%s/)", version, fed.IRIs.Base()),
	})
}

// addBlocklistWorkers registers the jobs that fetch one list (queued on subscribe and by the
// admin's "refresh now") and that queue a fetch of every list (periodic).
func addBlocklistWorkers(w *river.Workers, f *forum.Forum, fetcher *federation.BlocklistFetcher, log *slog.Logger) {
	river.AddWorker(w, &federation.BlocklistFetchWorker{Forum: f, Fetcher: fetcher, Log: log})
	river.AddWorker(w, &federation.BlocklistRefreshWorker{Forum: f})
}
