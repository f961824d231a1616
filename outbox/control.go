package outbox

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/riverqueue/river/rivertype"

	"github.com/stoa-forum/stoa/federation"
)

// CancelDomain cancels every queued, scheduled and retrying delivery to a domain and its
// subdomains (a domain block calls it; blocks cover subdomains, whatever the port). Deliveries
// already running are stopped by River's cancellation, and the delivery worker asks the domain
// policy again right before each request, so nothing reaches a blocked domain after the block.
// It returns the number of jobs cancelled.
func (ob *Outbox) CancelDomain(ctx context.Context, domain string) (int, error) {
	host, err := federation.CanonicalHost(domain)
	if err != nil {
		return 0, err
	}
	host = federation.Origin("https://" + host).Hostname()
	// Deliveries a batch carries are cancelled in their rows: the batch skips them (and its worker
	// asks the policy before each request anyway). They go first: a batch that hands deliveries
	// over to jobs of their own in the meantime hands over cancelled rows, and one that did so
	// before has made them pending jobs, which the second step cancels.
	batched, err := ob.forum.CancelBatchedOnHost(ctx, host)
	if err != nil {
		return 0, err
	}
	ob.metrics.deliveries.WithLabelValues(resultCancelled).Add(float64(batched))
	n, err := ob.cancelJobs(ctx, func(ctx context.Context) ([]int64, error) {
		return ob.forum.PendingDeliveryJobsOnHost(ctx, host)
	})
	return n + int(batched), err
}

// cancelJobs cancels the delivery jobs list returns and marks their deliveries cancelled.
func (ob *Outbox) cancelJobs(ctx context.Context, list func(context.Context) ([]int64, error)) (int, error) {
	client := ob.client.Load()
	if client == nil {
		return 0, errNoClient
	}
	ids, err := list(ctx)
	if err != nil {
		return 0, err
	}
	cancelled := make([]int64, 0, len(ids))
	for _, id := range ids {
		if _, err := client.JobCancel(ctx, id); err != nil && !errors.Is(err, rivertype.ErrNotFound) {
			return len(cancelled), fmt.Errorf("cancel delivery job %d: %w", id, err)
		}
		cancelled = append(cancelled, id)
	}
	if err := ob.forum.CancelDeliveriesByJob(ctx, cancelled); err != nil {
		return len(cancelled), err
	}
	ob.metrics.deliveries.WithLabelValues(resultCancelled).Add(float64(len(cancelled)))
	return len(cancelled), nil
}

// RetryDomain makes a domain's waiting deliveries (retrying or snoozed) available at once and
// forgets this process's circuit breaker for its host: the admin's "retry now", after the domain
// is fixed. The domain's failure record is cleared by forum.ResetDomain. Returns the jobs retried.
func (ob *Outbox) RetryDomain(ctx context.Context, domain string) (int, error) {
	client := ob.client.Load()
	if client == nil {
		return 0, errNoClient
	}
	ids, err := ob.forum.PendingDomainDeliveryJobs(ctx, domain, 10000)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		if _, err := client.JobRetry(ctx, id); err != nil {
			if errors.Is(err, rivertype.ErrNotFound) {
				continue
			}
			return n, fmt.Errorf("retry delivery job %d: %w", id, err)
		}
		n++
	}
	ob.hosts.forget(strings.ToLower(domain))
	return n, nil
}
