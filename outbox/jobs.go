package outbox

import (
	"time"

	"github.com/riverqueue/river"
)

// The outbox's River queues: fan-outs are few and heavy (a query and a bulk insert each),
// deliveries many and light (one signature and one request each), so each gets its own workers and
// a fan-out never waits behind ten thousand deliveries.
const (
	QueueFanOut   = "federation_fanout"
	QueueDelivery = "federation_delivery"
)

// FanOutArgs is the job that turns one recorded activity into its deliveries. One per activity:
// inserting it twice (a retried transaction) yields one job.
type FanOutArgs struct {
	ActivityID int64 `json:"activity_id" river:"unique"`
}

// Kind implements river.JobArgs.
func (FanOutArgs) Kind() string { return "federation_fanout" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (FanOutArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueFanOut, MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// DeliverArgs is one document to POST to one inbox, signed at send time by Signer. The
// (activity, document, inbox) triple is unique: a fan-out re-run after a crash inserts nothing
// twice.
type DeliverArgs struct {
	ActivityID int64 `json:"a" river:"unique"`
	// Document is "" for the activity's own document, else the name of a derived one ("announce").
	Document string `json:"d,omitempty" river:"unique"`
	Inbox    string `json:"i" river:"unique"`
	// Domain is the inbox's canonical host[:port] (domain health, per-host limits, cancellation).
	Domain string `json:"h"`
	Signer int64  `json:"k"`
	// Sync is the FEP-8fcf digest of the signer's followers on Domain, when it has some there.
	Sync string `json:"s,omitempty"`
	// Tried counts the attempts a batch made before handing the delivery to this job: they count
	// towards DeliveryMaxAttempts and the retry schedule.
	Tried int `json:"t,omitempty"`
}

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return "federation_deliver" }

// DeliveryMaxAttempts is Mastodon's schedule: the first attempt and 16 retries over about three
// days (NextRetry), then the delivery is given up.
const DeliveryMaxAttempts = 17

// MaxDeliveryAge bounds how long a delivery is tried, snoozes included (a host that keeps asking
// us to wait, or whose circuit stays open, does not keep a job forever).
const MaxDeliveryAge = 4 * 24 * time.Hour

func (a DeliverArgs) insertOpts() *river.InsertOpts {
	return &river.InsertOpts{Queue: QueueDelivery, MaxAttempts: max(DeliveryMaxAttempts-a.Tried, 1), Tags: []string{tagFor(a.Domain)},
		UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// DeliverBatchArgs is the first attempts of up to BatchSize deliveries of one activity (a large
// fan-out's), so that a thousand inboxes cost a few dozen job rows rather than a thousand: on two
// cores River's per-job writes cost about as much as a signature. The deliveries are the rows that
// name this job in deliveries (migration 0097), in order, an inbox's documents together: a re-run
// (after a crash) sends only what is still pending there, and a delivery to try again becomes a
// DeliverArgs job.
type DeliverBatchArgs struct {
	ActivityID int64 `json:"a" river:"unique"`
	// Run is the fan-out's attempt that queued the batch, Part its number in that run: a fan-out
	// re-run queues only deliveries without a row, in batches of its own.
	Run  int `json:"r" river:"unique"`
	Part int `json:"p" river:"unique"`
}

// Kind implements river.JobArgs.
func (DeliverBatchArgs) Kind() string { return "federation_deliver_batch" }

// InsertOpts implements river.JobArgsWithInsertOpts. A batch's own retries are for errors that
// stopped it as a whole (the database, a shutdown); its deliveries' retries are their own jobs.
func (DeliverBatchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueDelivery, MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// tagFor is a River tag naming a delivery's domain (tags allow [a-zA-Z0-9_-] and 255 characters),
// so River's own tools can filter a domain's jobs.
func tagFor(domain string) string {
	b := []byte("domain_")
	for i := 0; i < len(domain) && len(b) < 250; i++ {
		c := domain[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			b = append(b, c)
		default:
			b = append(b, '_')
		}
	}
	return string(b)
}

// PruneDeliveriesArgs is the periodic job that drops old delivery bookkeeping.
type PruneDeliveriesArgs struct{}

// Kind implements river.JobArgs.
func (PruneDeliveriesArgs) Kind() string { return "federation_prune_deliveries" }
