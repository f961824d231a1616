package forum

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Catching up: a request that changed something must not be shown, right after, a copy made
// before its change (read your writes). The triggers' notifications say what a transaction
// changed, but they reach this process's listener a moment after the commit, and the writer's
// next request may come first. Before, a change made here moved every generation at once, and
// dropped every kept page, shared read and session of the process: one reply, one like, one
// failed form dropped them all.
//
// Now the writer waits for its own notifications instead. Its transaction ends with a marker, a
// notification on caughtUpChannel naming this process and a number; PostgreSQL delivers a
// transaction's notifications in the order they were sent, and transactions' in the order they
// committed, so when the listener hears the marker it has already applied everything the
// transaction's triggers said (and everything committed before it). Only what was changed is
// dropped. The wait is a round trip through the listener, a fraction of a millisecond; past
// catchUpTimeout, or without a subscribed listener, the change counts as a change to everything,
// as before.

// caughtUpChannel carries the markers. Every process hears every process's; each waits for its own.
const caughtUpChannel = "stoa_caught_up"

// catchUpTimeout bounds the wait for the listener to hear a marker.
const catchUpTimeout = 250 * time.Millisecond

// catchUps are this process's markers not heard yet.
type catchUps struct {
	prefix  string // this process's, random: "<hex>:"
	next    atomic.Uint64
	mu      sync.Mutex
	waiting map[uint64]chan bool
}

func newCatchUps() *catchUps {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail (Go 1.24)
	return &catchUps{prefix: hex.EncodeToString(b) + ":", waiting: map[uint64]chan bool{}}
}

// expect registers a new marker: its payload, its number and the channel told when it is heard
// (true) or can no longer be (false).
func (c *catchUps) expect() (payload string, n uint64, heard chan bool) {
	n = c.next.Add(1)
	heard = make(chan bool, 1)
	c.mu.Lock()
	c.waiting[n] = heard
	c.mu.Unlock()
	return c.prefix + strconv.FormatUint(n, 10), n, heard
}

// forget drops a marker nobody waits for any more.
func (c *catchUps) forget(n uint64) {
	c.mu.Lock()
	delete(c.waiting, n)
	c.mu.Unlock()
}

// heard is the listener's: a marker arrived.
func (c *catchUps) heard(payload string) {
	rest, ours := strings.CutPrefix(payload, c.prefix)
	if !ours {
		return // another process's
	}
	n, err := strconv.ParseUint(rest, 10, 64)
	if err != nil {
		return
	}
	c.mu.Lock()
	heard := c.waiting[n]
	delete(c.waiting, n)
	c.mu.Unlock()
	if heard != nil {
		heard <- true
	}
}

// lost is the listener's: the connection is gone, and with it any marker not heard yet.
func (c *catchUps) lost() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for n, heard := range c.waiting {
		heard <- false
		delete(c.waiting, n)
	}
}

// caughtUp waits until the marker is heard; false when it was not within catchUpTimeout, when the
// listener lost its connection, or when ctx ended.
func (f *Forum) caughtUp(ctx context.Context, n uint64, heard chan bool) bool {
	timer := time.NewTimer(catchUpTimeout)
	defer timer.Stop()
	select {
	case ok := <-heard:
		return ok
	case <-timer.C:
	case <-ctx.Done():
	}
	f.catchUps.forget(n)
	return false
}

// changedHere is a change made by this process whose notifications were not heard: a change to
// everything, for pages and for viewers.
func (f *Forum) changedHere() {
	f.pages.changed()
	f.viewers.changed()
}

// inTxCaughtUp is inTx for a request's transaction: it sends a marker last, and returns once the
// listener has heard it (see above). A transaction that wrote nothing (it has no transaction id:
// every write, and every notification, takes one) sends none and does not wait: it changed
// nothing a copy could show, and a marker would cost it a transaction id and the listener's
// round trip.
func (f *Forum) inTxCaughtUp(ctx context.Context, opts pgx.TxOptions, fn func(tx pgx.Tx) error) error {
	marker, n, heard := f.catchUps.expect()
	wrote := false
	err := pgx.BeginTxFunc(ctx, f.db, opts, func(tx pgx.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT pg_current_xact_id_if_assigned() IS NOT NULL,
			CASE WHEN pg_current_xact_id_if_assigned() IS NOT NULL THEN pg_notify($1, $2)::text END`,
			caughtUpChannel, marker).Scan(&wrote, nil)
	})
	if err != nil || !wrote {
		f.catchUps.forget(n)
		return err
	}
	if !f.caughtUp(ctx, n, heard) {
		f.changedHere()
	}
	return nil
}

// CatchUp returns once this process has heard the notifications of every change committed before
// it was called, by anyone: after a request's writes that were not made in the forum's
// transactions (single statements), so that the pages asked for next show them. A marker is its
// own transaction here, committed lazily (commit_mode.go): nobody needs it to survive a crash.
// Without a listener, or past catchUpTimeout, it counts as a change to everything.
func (f *Forum) CatchUp(ctx context.Context) {
	if !f.pages.live.Load() {
		f.changedHere()
		return
	}
	marker, n, heard := f.catchUps.expect()
	if _, err := f.db.Exec(ctx, `SELECT pg_notify($1, $2), set_config('synchronous_commit', 'off', true)`,
		caughtUpChannel, marker); err != nil {
		f.catchUps.forget(n)
		f.changedHere()
		return
	}
	if !f.caughtUp(ctx, n, heard) {
		f.changedHere()
	}
}
