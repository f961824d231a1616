package federation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/stoa-forum/stoa/forum"
)

// Subscribed blocklists (forum/blocklist_subscription.go) are fetched here, because fetching is
// what this package does safely: the address-checking transport (no private or loopback addresses
// unless unsafe local mode, checked at dial time on every redirect), https only, a size cap and a
// total deadline. Fetches are conditional (ETag, Last-Modified), so an unchanged list costs the
// publisher a 304. A failed fetch changes nothing: the list's entries stay in force, its error is
// shown on the admin page, and the next periodic refresh tries again.

// Blocklist fetch bounds.
const (
	blocklistFetchTimeout = 30 * time.Second
	blocklistMaxRedirects = 3
)

// BlocklistFetcherOptions configure a BlocklistFetcher.
type BlocklistFetcherOptions struct {
	Transport TransportOptions
	UserAgent string
	// Timeout bounds a fetch, slow body included; MaxBytes bounds the body. Zero: 30 s and
	// forum.MaxBlocklistBytes.
	Timeout  time.Duration
	MaxBytes int64
}

// BlocklistFetcher fetches blocklist files.
type BlocklistFetcher struct {
	client    *http.Client
	unsafe    bool
	userAgent string
	timeout   time.Duration
	maxBytes  int64
}

// NewBlocklistFetcher returns a fetcher.
func NewBlocklistFetcher(o BlocklistFetcherOptions) *BlocklistFetcher {
	b := &BlocklistFetcher{unsafe: o.Transport.UnsafeLocal, userAgent: o.UserAgent, timeout: o.Timeout, maxBytes: o.MaxBytes}
	if b.timeout == 0 {
		b.timeout = blocklistFetchTimeout
	}
	if b.maxBytes == 0 {
		b.maxBytes = forum.MaxBlocklistBytes
	}
	if b.userAgent == "" {
		b.userAgent = "Stoa"
	}
	b.client = &http.Client{Transport: NewTransport(o.Transport), CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > blocklistMaxRedirects {
			return fmt.Errorf("more than %d redirects", blocklistMaxRedirects)
		}
		return b.checkScheme(req.URL)
	}}
	return b
}

func (b *BlocklistFetcher) checkScheme(u *url.URL) error {
	if u.Scheme == "https" || (u.Scheme == "http" && b.unsafe) {
		return nil
	}
	return fmt.Errorf("%s: only https lists are fetched", u.Redacted())
}

// Fetch gets a list, conditionally on what was fetched last.
func (b *BlocklistFetcher) Fetch(ctx context.Context, sub forum.BlocklistSubscription) (forum.BlocklistFetch, error) {
	u, err := url.Parse(sub.URL)
	if err != nil {
		return forum.BlocklistFetch{}, fmt.Errorf("list URL: %w", err)
	}
	if err := b.checkScheme(u); err != nil {
		return forum.BlocklistFetch{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return forum.BlocklistFetch{}, err
	}
	req.Header.Set("Accept", "text/csv, text/plain;q=0.9, */*;q=0.1")
	req.Header.Set("User-Agent", b.userAgent)
	if sub.ETag != "" {
		req.Header.Set("If-None-Match", sub.ETag)
	}
	if sub.LastModified != "" {
		req.Header.Set("If-Modified-Since", sub.LastModified)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return forum.BlocklistFetch{}, fmt.Errorf("fetch %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return forum.BlocklistFetch{NotModified: true}, nil
	case resp.StatusCode != http.StatusOK:
		return forum.BlocklistFetch{}, fmt.Errorf("fetch %s: HTTP %d", u.Redacted(), resp.StatusCode)
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil && (mt == "text/html" || mt == "application/xhtml+xml") {
		return forum.BlocklistFetch{}, fmt.Errorf("fetch %s: got a web page (%s), not a list", u.Redacted(), mt)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, b.maxBytes+1))
	if err != nil {
		return forum.BlocklistFetch{}, fmt.Errorf("fetch %s: %w", u.Redacted(), err)
	}
	if int64(len(body)) > b.maxBytes {
		return forum.BlocklistFetch{}, fmt.Errorf("fetch %s: larger than %d bytes", u.Redacted(), b.maxBytes)
	}
	return forum.BlocklistFetch{Data: body, ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}, nil
}

// Refresh fetches a list and applies what it says (or records why it could not).
func (b *BlocklistFetcher) Refresh(ctx context.Context, f *forum.Forum, id int64) (forum.DomainPolicyResult, error) {
	sub, err := f.BlocklistSubscriptionByID(ctx, id)
	if err != nil {
		return forum.DomainPolicyResult{}, err
	}
	got, err := b.Fetch(ctx, sub)
	if err != nil {
		return forum.DomainPolicyResult{}, errors.Join(err, f.RecordBlocklistFailure(context.WithoutCancel(ctx), id, err.Error()))
	}
	return f.ApplyBlocklistFetch(ctx, id, got)
}

// BlocklistFetchWorker fetches one subscribed list (forum.BlocklistFetchArgs). A failure is
// recorded on the subscription and not retried: the periodic refresh tries again.
type BlocklistFetchWorker struct {
	river.WorkerDefaults[forum.BlocklistFetchArgs]
	Forum   *forum.Forum
	Fetcher *BlocklistFetcher
	Log     *slog.Logger
}

// Timeout bounds the job beyond the fetch's own deadline (applying a large list takes a while).
func (w *BlocklistFetchWorker) Timeout(*river.Job[forum.BlocklistFetchArgs]) time.Duration {
	return blocklistFetchTimeout + 30*time.Second
}

// Work implements river.Worker.
func (w *BlocklistFetchWorker) Work(ctx context.Context, job *river.Job[forum.BlocklistFetchArgs]) error {
	log := w.Log
	if log == nil {
		log = slog.Default()
	}
	res, err := w.Fetcher.Refresh(ctx, w.Forum, job.Args.SubscriptionID)
	switch {
	case errors.Is(err, forum.ErrNotFound):
		return nil // unsubscribed meanwhile
	case ctx.Err() != nil:
		return ctx.Err() // shutting down: River runs it again
	case err != nil:
		log.WarnContext(ctx, "blocklist fetch failed", "subscription", job.Args.SubscriptionID, "err", err)
		return nil
	}
	log.InfoContext(ctx, "blocklist applied", "subscription", job.Args.SubscriptionID, "changes", len(res.Changes),
		"accounts", res.Accounts, "deliveries_cancelled", res.Cancelled)
	if res.CancelError != nil {
		log.WarnContext(ctx, "cancelling deliveries to newly blocked domains", "err", res.CancelError)
	}
	return nil
}

// BlocklistRefreshWorker queues a fetch of every subscribed list (forum.BlocklistRefreshArgs, run
// periodically); one job per list, so one slow list holds up no other.
type BlocklistRefreshWorker struct {
	river.WorkerDefaults[forum.BlocklistRefreshArgs]
	Forum *forum.Forum
}

// Work implements river.Worker.
func (w *BlocklistRefreshWorker) Work(ctx context.Context, _ *river.Job[forum.BlocklistRefreshArgs]) error {
	subs, err := w.Forum.AllBlocklistSubscriptions(ctx)
	if err != nil || len(subs) == 0 {
		return err
	}
	client := river.ClientFromContext[pgx.Tx](ctx)
	params := make([]river.InsertManyParams, len(subs))
	for i, s := range subs {
		params[i] = river.InsertManyParams{Args: forum.BlocklistFetchArgs{SubscriptionID: s.ID},
			InsertOpts: &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}}
	}
	_, err = client.InsertMany(ctx, params)
	return err
}

// BlocklistPeriodicJob refreshes the subscribed lists every forum.BlocklistRefreshEvery, and once
// when the process starts.
func BlocklistPeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(forum.BlocklistRefreshEvery),
		func() (river.JobArgs, *river.InsertOpts) {
			return forum.BlocklistRefreshArgs{}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
		}, &river.PeriodicJobOpts{RunOnStart: true})
}
