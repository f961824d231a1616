package inbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
)

// Catching up with other servers (FEDERATION.md "Threads as collections"). What a followed Group
// relays covers what happens while this server follows it and is up; a thread begun before the
// follow, or changed while this server was down, is caught up by reading the thread's home:
//
//   - SyncGroupArgs, queued when a Group accepts a follow, reads the first page of the Group's
//     outbox (its announces of recent threads) and stores those threads' openers, then queues a
//     sync of each thread;
//   - SyncThreadArgs reads a thread's context collection, oldest first, storing every post not
//     yet here (so the thread shows whole and in its home's order), then its contextHistory from
//     where the last sync stopped, applying the edits, deletions, likes and locks it lists.
//
// Everything read is treated as relayed by the Group (relayed): posts and activities are fetched
// from their own origin and checked as a relayed activity is, and every forum call is idempotent,
// so a sync that overlaps deliveries changes nothing twice. Reading a mirrored thread asks for a
// sync (Inbox.SyncThread), at most once per ThreadSyncEvery.

// syncFetchBudget bounds the fetches of one sync job: a thread of a few hundred posts is caught up
// in one run, a longer one over the next runs (the history cursor is saved as it goes).
const syncFetchBudget = 400

// maxSyncPages bounds the pages of one collection a sync reads.
const maxSyncPages = 40

// SyncThreadArgs catches one mirrored thread up with its home server.
type SyncThreadArgs struct {
	ThreadID int64 `json:"thread_id"`
}

// Kind implements river.JobArgs.
func (SyncThreadArgs) Kind() string { return "inbox_sync_thread" }

// SyncGroupArgs backfills the recent threads of a remote Group a member here began to follow.
type SyncGroupArgs struct {
	GroupID int64 `json:"group_id"`
}

// Kind implements river.JobArgs.
func (SyncGroupArgs) Kind() string { return "inbox_sync_group" }

// SyncThread asks for a sync of a mirrored thread, unless one was asked for within
// ThreadSyncEvery. Local threads are not synced (the job finds no mirror and does nothing).
func (ib *Inbox) SyncThread(ctx context.Context, threadID int64) error {
	client := ib.client.Load()
	if client == nil {
		return errNoQueue
	}
	_, err := client.Insert(ctx, SyncThreadArgs{ThreadID: threadID}, &river.InsertOpts{Queue: QueueApply, MaxAttempts: 3,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: ib.o.ThreadSyncEvery}})
	if err != nil {
		return fmt.Errorf("queue sync of thread %d: %w", threadID, err)
	}
	return nil
}

// syncGroup queues the backfill of a Group's recent threads.
func (ib *Inbox) syncGroup(ctx context.Context, groupID int64) error {
	client := ib.client.Load()
	if client == nil {
		return errNoQueue
	}
	_, err := client.Insert(ctx, SyncGroupArgs{GroupID: groupID}, &river.InsertOpts{Queue: QueueApply, MaxAttempts: 3,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: time.Hour}})
	if err != nil {
		return fmt.Errorf("queue backfill of group %d: %w", groupID, err)
	}
	return nil
}

type syncThreadWorker struct {
	river.WorkerDefaults[SyncThreadArgs]
	ib *Inbox
}

// Timeout bounds one sync, its fetches included.
func (w *syncThreadWorker) Timeout(*river.Job[SyncThreadArgs]) time.Duration {
	return w.ib.o.JobTimeout
}

// Work reads the thread's context collection, then its history.
func (w *syncThreadWorker) Work(ctx context.Context, job *river.Job[SyncThreadArgs]) error {
	ib := w.ib
	m, err := ib.forum.ThreadMirror(ctx, job.Args.ThreadID)
	if errors.Is(err, forum.ErrNotFound) {
		return nil // a local thread, or gone
	}
	if err != nil {
		return err
	}
	a, err := ib.groupApply(ctx, m.GroupID)
	if a == nil || err != nil {
		return err
	}
	ctx = federation.WithFetchBudget(ctx, syncFetchBudget)
	coll, err := ib.readCollection(ctx, m.ContextIRI)
	if err != nil {
		return ib.syncFailed(ctx, job.Args.ThreadID, err)
	}
	err = ib.walkPages(ctx, m.ContextIRI, coll, 0, func(_ string, _ int, item string) error {
		return a.syncItem(ctx, item)
	})
	if err != nil {
		return ib.syncFailed(ctx, job.Args.ThreadID, err)
	}
	if coll.ContextHistory == "" || origin(coll.ContextHistory) != origin(m.ContextIRI) {
		return ib.forum.SaveThreadSync(ctx, m.ThreadID, "", 0)
	}
	// The history, from the page where the last sync stopped (skipping what it applied there).
	start, skip := m.HistoryPage, m.HistorySeen
	if start == "" || origin(start) != origin(m.ContextIRI) {
		hist, err := ib.readCollection(ctx, coll.ContextHistory)
		if err != nil {
			return ib.syncFailed(ctx, job.Args.ThreadID, err)
		}
		start, skip = hist.First, 0
		if start == "" {
			return ib.forum.SaveThreadSync(ctx, m.ThreadID, "", 0)
		}
	}
	page, seen := start, skip
	err = ib.walkPages(ctx, start, federation.CollectionPage{First: start}, skip, func(pageID string, n int, item string) error {
		if err := a.syncItem(ctx, item); err != nil {
			return err
		}
		page, seen = pageID, n
		return nil
	})
	if serr := ib.forum.SaveThreadSync(ctx, m.ThreadID, page, seen); serr != nil {
		return serr
	}
	if err != nil {
		return ib.syncFailed(ctx, job.Args.ThreadID, err)
	}
	return nil
}

// syncFailed logs a sync that could not finish; what may pass is retried by River.
func (ib *Inbox) syncFailed(ctx context.Context, threadID int64, err error) error {
	if _, final := classify(err); final {
		ib.log.InfoContext(ctx, "inbox: thread sync stopped", "thread", threadID, "err", err)
		return nil
	}
	return err
}

// groupApply is the frame in which synced items are applied: as relayed by the thread's Group.
// It returns nil when nobody here follows the Group any more, nor a thread of its server on its own
// (FollowsServiceOn), or its domain is blocked.
func (ib *Inbox) groupApply(ctx context.Context, groupID int64) (*apply, error) {
	group, err := ib.forum.ActorByID(ctx, groupID)
	if err != nil {
		return nil, err
	}
	if ib.blockedActor(ctx, group) {
		return nil, nil
	}
	followed, err := ib.forum.FollowedLocally(ctx, group.ID)
	if err == nil && !followed {
		// A thread of the Group may be followed on its own, through its thread's actor.
		followed, err = ib.forum.FollowsServiceOn(ctx, group.Domain)
	}
	if err != nil || !followed {
		return nil, err
	}
	return &apply{ib: ib, actor: group, trusted: origin(group.APID)}, nil
}

// syncItem applies one item of a collection as the Group relaying it. An item that cannot be
// applied for good (deleted, forbidden, malformed, stored already) is passed over; one that may
// pass (a fetch that timed out) stops the sync, which River retries.
func (a *apply) syncItem(ctx context.Context, item string) error {
	if a.ib.iris.IsLocal(item) {
		return nil
	}
	if known, err := a.ib.forum.InboundKnown(ctx, item); err != nil || known {
		return err // received already: applied when it came
	}
	err := a.relayedByGroup(ctx, federation.ObjectRef{ID: item})
	if _, final := classify(err); final {
		return nil
	}
	return err
}

// readCollection fetches a collection (or page) from the origin of the thread it belongs to.
func (ib *Inbox) readCollection(ctx context.Context, iri string) (federation.CollectionPage, error) {
	doc, err := ib.fed.Fetcher.Get(ctx, iri)
	if err != nil {
		return federation.CollectionPage{}, fmt.Errorf("fetch %s: %w", iri, err)
	}
	return federation.DecodeCollectionPage(doc.Body)
}

// walkPages calls fn for each item of a collection, page by page from its first, skipping the
// first skip items of the first page read; pages must stay on the collection's origin.
func (ib *Inbox) walkPages(ctx context.Context, collID string, coll federation.CollectionPage, skip int,
	fn func(pageID string, n int, item string) error) error {
	next := coll.First
	if len(coll.Items) > 0 {
		// The collection embeds its first page: read its items where they are.
		for i, item := range coll.Items {
			if i >= skip {
				if err := fn(collID, i+1, item); err != nil {
					return err
				}
			}
		}
		next, skip = coll.Next, 0
	}
	for pages := 0; next != "" && pages < maxSyncPages; pages++ {
		if origin(next) != origin(collID) {
			return fmt.Errorf("page %s of %s is on another origin: %w", next, collID, forum.ErrForbidden)
		}
		page, err := ib.readCollection(ctx, next)
		if err != nil {
			return err
		}
		for i, item := range page.Items {
			if i >= skip {
				if err := fn(next, i+1, item); err != nil {
					return err
				}
			}
		}
		if page.Next == "" {
			return nil
		}
		next, skip = page.Next, 0
	}
	return nil
}

type syncGroupWorker struct {
	river.WorkerDefaults[SyncGroupArgs]
	ib *Inbox
}

// Timeout bounds one backfill, its fetches included.
func (w *syncGroupWorker) Timeout(*river.Job[SyncGroupArgs]) time.Duration { return w.ib.o.JobTimeout }

// Work stores the openers the Group's outbox announces (its first page: the most recent threads)
// and queues a sync of each of their threads.
func (w *syncGroupWorker) Work(ctx context.Context, job *river.Job[SyncGroupArgs]) error {
	ib := w.ib
	a, err := ib.groupApply(ctx, job.Args.GroupID)
	if a == nil || err != nil {
		return err
	}
	doc, err := ib.fed.Actors.Resolve(ctx, a.actor.APID)
	if err != nil || doc.OutboxURL == "" || origin(doc.OutboxURL) != origin(a.actor.APID) {
		return err
	}
	ctx = federation.WithFetchBudget(ctx, syncFetchBudget)
	outbox, err := ib.readCollection(ctx, doc.OutboxURL)
	if err != nil {
		return ib.syncFailed(ctx, 0, err)
	}
	first := outbox
	if len(outbox.Items) == 0 && outbox.First != "" {
		if first, err = ib.readCollection(ctx, outbox.First); err != nil {
			return ib.syncFailed(ctx, 0, err)
		}
	}
	for _, item := range first.Items {
		if origin(item) != origin(a.actor.APID) {
			continue
		}
		fetched, err := ib.fed.Fetcher.Get(ctx, item)
		if err != nil {
			continue
		}
		act, err := federation.DecodeActivity(fetched.Body)
		if err != nil || act.Type != "Announce" || act.Actor != a.actor.APID {
			continue
		}
		obj, ok := act.FirstObject()
		if !ok {
			continue
		}
		if err := a.relayedByGroup(ctx, federation.ObjectRef{ID: obj.ID}); err != nil {
			if _, final := classify(err); !final {
				return err
			}
		}
		id := obj.ID
		if inner, err := federation.DecodeActivity(obj.Raw); err == nil && obj.Raw != nil {
			if o, ok := inner.FirstObject(); ok {
				id = o.ID
			}
		}
		if p, err := ib.forum.PostPlaceByAPID(ctx, id); err == nil {
			if err := ib.SyncThread(ctx, p.ThreadID); err != nil {
				return err
			}
		}
	}
	return nil
}
