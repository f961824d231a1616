package outbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
)

// deliverWorker POSTs one document to one inbox, signed at send time (a retry days later carries
// a fresh Date: SECURITY.md rule 18), and lets the response decide: done, retry with backoff,
// snooze until Retry-After, or give up.
type deliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	ob *Outbox
}

// Timeout bounds one attempt a little beyond the request's own deadline.
func (w *deliverWorker) Timeout(*river.Job[DeliverArgs]) time.Duration {
	return w.ob.o.RequestTimeout + 10*time.Second
}

// NextRetry is Mastodon's schedule: attempt⁴ seconds plus a little jitter, so the first retry
// comes within seconds and the sixteenth about 18 hours later, some 2.8 days in all. The second is
// Options.BackoffUnit, which only tests change. Attempts a batch made first count (Tried).
func (w *deliverWorker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	return w.ob.now().Add(w.ob.retryIn(job.Attempt + job.Args.Tried))
}

func retryDelay(attempt int, unit time.Duration, rnd func(int64) int64) time.Duration {
	a := time.Duration(max(attempt, 1))
	return a*a*a*a*unit + 5*unit + time.Duration(rnd(int64(5*a)+1))*unit
}

// Work implements river.Worker.
func (w *deliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	return w.ob.deliver(ctx, delivery{args: job.Args, created: job.CreatedAt, attempt: job.Attempt + job.Args.Tried})
}

// delivery is one document to one inbox, as a delivery job or an item of a batch carries it.
type delivery struct {
	args DeliverArgs
	// created is when the delivery was first queued (MaxDeliveryAge counts from it).
	created time.Time
	// attempt is this attempt's number, from 1; the last one allowed is DeliveryMaxAttempts.
	attempt int
	// backlog, when set, is the inbox's backlog as a batch read it for all its items at once;
	// nil asks the database.
	backlog *forum.Backlog
}

// deliver makes one attempt and answers as a River worker would: nil once delivered, JobCancel
// when given up (cancelled, rejected, gone, failed at the last attempt), JobSnooze to wait (a
// host asking to slow down, a busy host, an earlier delivery to the same inbox still waiting),
// any other error to retry. Every outcome is recorded before it returns.
func (ob *Outbox) deliver(ctx context.Context, d delivery) error {
	args := d.args
	outcome := forum.DeliveryOutcome{ActivityID: args.ActivityID, Document: args.Document, Inbox: args.Inbox}
	u, err := url.Parse(args.Inbox)
	if err != nil || u.Host == "" {
		return ob.finish(ctx, d, outcome, resultRejected, fmt.Errorf("inbox %q is not a URL", args.Inbox))
	}
	host := strings.ToLower(u.Host)
	// Checked again right before sending: a domain blocked since the fan-out gets nothing, even
	// from a job already running (SECURITY.md rule 18).
	if ob.blocked(ctx, args.Domain) {
		return ob.finish(ctx, d, outcome, resultCancelled, fmt.Errorf("domain %s is blocked", args.Domain))
	}
	if age := ob.now().Sub(d.created); age > MaxDeliveryAge {
		return ob.finish(ctx, d, outcome, resultFailed, fmt.Errorf("gave up after %s", age.Round(time.Hour)))
	}
	doc, err := ob.docs.get(ctx, ob.forum, args.ActivityID, args.Document)
	if err != nil {
		return fmt.Errorf("document %q of activity %d: %w", args.Document, args.ActivityID, err)
	}
	if cancelled, err := ob.postGone(ctx, doc); err != nil || cancelled {
		if err != nil {
			return err
		}
		return ob.finish(ctx, d, outcome, resultCancelled, errors.New("the post was deleted"))
	}
	sig, err := ob.signers.get(ctx, ob.forum, ob.fed.Keys, args.Signer)
	if err != nil {
		return fmt.Errorf("key of actor %d: %w", args.Signer, err)
	}
	// A server coming back from an outage gets what it missed in order: nothing later goes to an
	// inbox while an earlier activity's delivery there is still retrying or held back.
	bl := d.backlog
	if bl == nil {
		b, err := ob.forum.DeliveryBacklog(ctx, args.Inbox, args.ActivityID)
		if err != nil {
			return err
		}
		bl = &b
	}
	if bl.Waits {
		if err := ob.forum.HoldDelivery(ctx, args.ActivityID, args.Document, args.Inbox); err != nil {
			return err
		}
		ob.metrics.deliveries.WithLabelValues(resultSnoozed).Inc()
		return river.JobSnooze(ob.jitter(ob.orderWait(d.created)))
	}

	release, wait := ob.hosts.acquire(ctx, host)
	if release == nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		ob.metrics.deliveries.WithLabelValues(resultSnoozed).Inc()
		return river.JobSnooze(ob.jitter(wait))
	}
	// Waiting for the host may have taken a while: ask again about what may have changed.
	if ob.blocked(ctx, args.Domain) {
		release(hostCancelled, 0)
		return ob.finish(ctx, d, outcome, resultCancelled, fmt.Errorf("domain %s is blocked", args.Domain))
	}
	if cancelled, err := ob.postGone(ctx, doc); err != nil || cancelled {
		release(hostCancelled, 0)
		if err != nil {
			return err
		}
		return ob.finish(ctx, d, outcome, resultCancelled, errors.New("the post was deleted"))
	}
	start := ob.now()
	status, retryAfter, err := ob.post(ctx, args, doc, sig)
	ob.metrics.latency.Observe(ob.now().Sub(start).Seconds())
	// A request that ended in a network error was still an attempt; one cut by shutdown was not.
	outcome.Attempted, outcome.Status = status != 0 || ctx.Err() == nil, status
	class := classify(status, err)
	switch class {
	case resultDelivered:
		release(hostOK, 0)
	case resultSnoozed:
		release(hostSlowDown, retryAfter)
	case resultRetry:
		if status == 0 && ctx.Err() != nil {
			release(hostCancelled, 0) // shutting down: no verdict on the host
		} else if status >= 500 || status == 0 {
			release(hostFailed, 0)
		} else {
			release(hostOK, 0)
		}
	default:
		release(hostOK, 0)
	}
	if err == nil && class != resultDelivered {
		err = fmt.Errorf("POST %s: HTTP %d", args.Inbox, status)
	}
	switch class {
	case resultRetry:
		if d.attempt >= DeliveryMaxAttempts {
			class = resultFailed
		}
	case resultSnoozed:
		if retryAfter <= 0 {
			retryAfter = defaultSlowDown
		}
	}
	if class == resultGone {
		// The recipient (or, on a shared inbox, its server) is gone: nothing more is sent there.
		if _, derr := ob.forum.DropGoneInbox(ctx, args.Inbox); derr != nil {
			return derr
		}
	}
	rerr := ob.finish(ctx, d, outcome, class, err)
	if bl.Backlog && class != resultRetry && class != resultSnoozed {
		// Through (or given up): the next held delivery to this inbox need not wait any longer.
		ob.wakeHeld(ctx, args.Inbox)
	}
	if class != resultSnoozed || rerr != nil {
		return rerr
	}
	return river.JobSnooze(ob.jitter(retryAfter))
}

// orderWait is how long a delivery held back behind an earlier one waits before asking again: a
// tenth of its age, from 5 to 600 backoff units (5 s to 10 min), so a long backlog to a server
// that stays down costs few checks, and one that comes back soon is caught up with soon.
func (ob *Outbox) orderWait(created time.Time) time.Duration {
	unit := ob.o.BackoffUnit
	return min(max(ob.now().Sub(created)/10, 5*unit), 600*unit)
}

// wakeHeld makes the next held deliveries to an inbox available now. It is best effort: a held
// delivery that is not woken asks again when its snooze ends (orderWait).
func (ob *Outbox) wakeHeld(ctx context.Context, inbox string) {
	client := ob.client.Load()
	if client == nil {
		return
	}
	ids, err := ob.forum.HeldDeliveryJobs(ctx, inbox)
	if err != nil {
		ob.log.WarnContext(ctx, "outbox: find held deliveries", "inbox", inbox, "err", err)
		return
	}
	for _, id := range ids {
		if _, err := client.JobRetry(ctx, id); err != nil && !errors.Is(err, rivertype.ErrNotFound) {
			ob.log.WarnContext(ctx, "outbox: wake held delivery", "job", id, "err", err)
		}
	}
}

// postGone reports whether a document is a Create or Update of a post that has left public view
// since (deleted, hidden, made private: forum.PostIsPublished): it is not sent.
func (ob *Outbox) postGone(ctx context.Context, doc *document) (bool, error) {
	if doc.postID == nil || (doc.verb != forum.VerbCreate && doc.verb != forum.VerbUpdate) {
		return false, nil
	}
	gone, err := ob.live.gone(ctx, ob.forum, *doc.postID)
	if errors.Is(err, forum.ErrNotFound) {
		return true, nil
	}
	return gone, err
}

// defaultSlowDown is how long a 429 without Retry-After holds a delivery; maxSlowDown caps what a
// host may ask for.
const (
	defaultSlowDown = time.Minute
	maxSlowDown     = 6 * time.Hour
)

// post signs and sends the document, and reads (and discards) a little of the answer so the
// connection is reused.
func (ob *Outbox) post(ctx context.Context, args DeliverArgs, doc *document, sig signer) (int, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, args.Inbox, bytes.NewReader(doc.body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", federation.LDJSONActivityStreams)
	req.Header.Set("User-Agent", ob.o.UserAgent)
	if args.Sync != "" {
		if v, err := ob.fed.IRIs.CollectionSynchronization(sig.actor, args.Sync); err == nil {
			req.Header.Set("Collection-Synchronization", v)
		}
	}
	// Signing is pure CPU: as many at once as there are CPUs. Hundreds of deliveries signing side
	// by side would only take turns by preemption (7% of the sender's CPU in a profile).
	ob.signing <- struct{}{}
	err = sig.key.SignPost(req, doc.digest, ob.now())
	<-ob.signing
	if err != nil {
		return 0, 0, err
	}
	resp, err := ob.http.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, retryAfter(resp.Header.Get("Retry-After"), ob.now()), nil
}

// classify maps a response (or a transport error) to what happens next (Mastodon's rules: 401 and
// 408 may succeed later, as may 5xx; 410 means gone; other 4xx never succeed).
func classify(status int, err error) string {
	switch {
	case err != nil:
		return resultRetry
	case status >= 200 && status < 300:
		return resultDelivered
	case status == http.StatusGone:
		return resultGone
	case status == http.StatusTooManyRequests:
		return resultSnoozed
	case status == http.StatusServiceUnavailable:
		return resultSnoozed
	case status == http.StatusUnauthorized, status == http.StatusRequestTimeout:
		return resultRetry
	case status >= 400 && status < 500:
		return resultRejected
	}
	return resultRetry // 5xx, and 3xx (deliveries do not follow redirects)
}

// retryAfter parses a Retry-After header (seconds or an HTTP date), capped at maxSlowDown; 0 when
// absent or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil {
		d = time.Duration(min(secs, int(maxSlowDown/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxSlowDown)
}

// finish records a delivery's outcome and returns what River should do with the job: nil once
// delivered, JobCancel when given up (cancelled, rejected, gone, failed at the last attempt), the
// error when it will be retried. A snooze is decided by the caller.
func (ob *Outbox) finish(ctx context.Context, d delivery, o forum.DeliveryOutcome, class string, cause error) error {
	ob.metrics.deliveries.WithLabelValues(class).Inc()
	var failure *forum.DeliveryFailure
	success := class == resultDelivered
	switch class {
	case resultDelivered:
		o.State = forum.DeliveryDelivered
	case resultRetry, resultSnoozed:
		o.State = forum.DeliveryPending
	case resultCancelled:
		o.State = forum.DeliveryCancelled
	default:
		o.State = forum.DeliveryFailed
	}
	if cause != nil {
		o.Error = cause.Error()
	}
	// A host that errs or says it is unavailable counts towards the domain's failure days; one that
	// refuses (4xx) or asks to slow down (429) is up.
	down := class == resultRetry || class == resultFailed || (class == resultSnoozed && o.Status == http.StatusServiceUnavailable)
	if o.Attempted && down && ctx.Err() == nil {
		failure = &forum.DeliveryFailure{Domain: d.args.Domain, At: ob.now(), Error: o.Error}
	}
	if err := ob.rec.record(ctx, o, d.args.Domain, success, failure); err != nil {
		return fmt.Errorf("record delivery: %w", err)
	}
	switch class {
	case resultDelivered, resultSnoozed:
		return nil
	case resultRetry:
		return cause
	}
	return river.JobCancel(cause)
}

// blocked asks the domain policy about a domain (host[:port]).
func (ob *Outbox) blocked(ctx context.Context, domain string) bool {
	o, err := federation.OriginOf("https://" + domain)
	if err != nil {
		return true
	}
	return ob.policy.Blocked(ctx, o.Hostname())
}
