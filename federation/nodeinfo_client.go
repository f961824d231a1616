package federation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/riverqueue/river"

	"github.com/stoa-forum/stoa/forum"
)

// NodeInfoSoftware reads a remote server's NodeInfo (2.1 or 2.0, found through
// /.well-known/nodeinfo) and returns the software it names.
func (f *Fetcher) NodeInfoSoftware(ctx context.Context, host string) (name, version string, err error) {
	canon, err := CanonicalHost(host)
	if err != nil {
		return "", "", err
	}
	var index struct {
		Links []struct {
			Rel  string `json:"rel"`
			Href string `json:"href"`
		} `json:"links"`
	}
	if err := f.getJSON(ctx, f.siteURL(canon, "/.well-known/nodeinfo"), "application/json", &index); err != nil {
		return "", "", fmt.Errorf("NodeInfo of %s: %w", canon, err)
	}
	href := ""
	for _, want := range []string{nodeInfo21Schema, nodeInfo20Schema} {
		for _, l := range index.Links {
			if l.Rel == want && href == "" {
				href = l.Href
			}
		}
	}
	if href == "" {
		return "", "", fmt.Errorf("NodeInfo of %s: no 2.0 or 2.1 link: %w", canon, forum.ErrNotFound)
	}
	var doc struct {
		Software struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"software"`
	}
	if err := f.getJSON(ctx, href, "application/json", &doc); err != nil {
		return "", "", fmt.Errorf("NodeInfo of %s: %w", canon, err)
	}
	if doc.Software.Name == "" {
		return "", "", fmt.Errorf("NodeInfo of %s names no software: %w", canon, ErrMalformed)
	}
	return doc.Software.Name, doc.Software.Version, nil
}

// ProbeDomainWorker learns what software a domain runs (forum.ProbeDomainArgs, queued at first
// contact): forum peers receive a category's replies and moderation, microblogs only its threads.
// A probe is opportunistic: a server without NodeInfo is treated as a microblog, and the next
// contact after a day asks again.
type ProbeDomainWorker struct {
	river.WorkerDefaults[forum.ProbeDomainArgs]
	Fetcher *Fetcher
	Forum   *forum.Forum
	Log     *slog.Logger
}

// probeAttempts is how many times a probe that failed for a passing reason (the server down, slow
// or busy) is made in all, over about three hours (probeRetryDelays), before the domain counts as a
// microblog until a contact a day later asks again: a forum peer that one failed probe took for a
// microblog would get none of a category's replies meanwhile.
const probeAttempts = 5

var probeRetryDelays = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour}

// NextRetry spaces a probe's retries (probeRetryDelays) rather than River's default backoff.
func (w *ProbeDomainWorker) NextRetry(job *river.Job[forum.ProbeDomainArgs]) time.Time {
	return time.Now().Add(probeRetryDelays[min(max(job.Attempt, 1), len(probeRetryDelays))-1])
}

// Timeout covers the two fetches.
func (w *ProbeDomainWorker) Timeout(*river.Job[forum.ProbeDomainArgs]) time.Duration {
	return 2*DefaultFetchTimeout + 10*time.Second
}

// passingFailure reports whether a fetch failed for a reason that may be gone soon: no connection,
// a timeout, or an answer of 408, 429 or 5xx. Any other answer (no NodeInfo, not JSON, 404) would
// be the same next time.
func passingFailure(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code == http.StatusRequestTimeout || se.Code == http.StatusTooManyRequests || se.Code >= 500
	}
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return false // no such host
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// Work implements river.Worker.
func (w *ProbeDomainWorker) Work(ctx context.Context, job *river.Job[forum.ProbeDomainArgs]) error {
	name, version, err := w.Fetcher.NodeInfoSoftware(ctx, job.Args.Domain)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		log := w.Log
		if log == nil {
			log = slog.Default()
		}
		if passingFailure(err) && job.Attempt < probeAttempts {
			log.InfoContext(ctx, "NodeInfo probe failed, will retry", "domain", job.Args.Domain, "attempt", job.Attempt, "err", err)
			return err
		}
		if !errors.Is(err, ErrBlockedDomain) {
			log.InfoContext(ctx, "NodeInfo probe failed", "domain", job.Args.Domain, "err", err)
		}
		return nil
	}
	return w.Forum.SetDomainSoftware(ctx, job.Args.Domain, name, version)
}
