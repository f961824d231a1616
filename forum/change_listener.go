package forum

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ListenForChanges keeps this process's permission cache, domain rules, site settings, page
// generation (page_changes.go), kept sessions (session_cache.go) and readers' generation
// (reader_changes.go) in step with changes made anywhere: it LISTENs on its own connection
// (outside the pool) and drops the cache a notification is about, and all of them on every
// (re)connection, since changes may have been missed while disconnected. It blocks until ctx
// ends, reconnecting with backoff; onError (may be nil) hears of connection failures.
func (f *Forum) ListenForChanges(ctx context.Context, onError func(error)) {
	backoff := time.Second
	for ctx.Err() == nil {
		err := f.listenOnce(ctx)
		f.pages.lost()
		f.viewers.lost()
		f.readers.lost()
		f.catchUps.lost()
		if ctx.Err() != nil {
			return
		}
		if onError != nil {
			onError(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, listenerMaxBackoff)
	}
}

// listenerMaxBackoff bounds the wait between two attempts to reconnect. While the listener is
// away nothing is kept, so every page is made afresh: after a database outage of a minute or more
// a longer wait (it was 30 s) kept a busy forum making every page for that much longer, on a
// database just back. One connection attempt every few seconds costs nothing.
const listenerMaxBackoff = 5 * time.Second

func (f *Forum) listenOnce(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, f.db.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("change listener: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, channel := range []string{permissionsChannel, domainPolicyChannel, siteChannel, pagesChannel, viewersChannel, readersChannel, caughtUpChannel} {
		if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
			return fmt.Errorf("change listener: listen: %w", err)
		}
	}
	f.perms.invalidate()
	f.domains.invalidate()
	f.site.invalidate()
	f.pages.subscribed()
	f.viewers.subscribed()
	f.readers.subscribed()
	if f.listening != nil {
		f.listening()
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("change listener: %w", err)
		}
		if f.hearing != nil {
			f.hearing()
		}
		// The same connection carries the domain rules' channel (domain_policy_cache.go), the site
		// settings', the pages' (page_changes.go), the viewers' (session_cache.go) and the readers'
		// (reader_changes.go); any of them but the last two changes pages too.
		switch n.Channel {
		case caughtUpChannel: // a writer's marker: all its transaction said was heard before it (catch_up.go)
			f.catchUps.heard(n.Payload)
			continue
		case viewersChannel: // sessions and what signed-in headers show, not pages
			f.viewers.heard(n.Payload)
			continue
		case readersChannel: // what members have read and watch: their own pages only
			f.readers.heard(n.Payload)
			continue
		case pagesChannel: // naming the threads and categories changed, or nothing: everything
			f.pages.heardScopes(n.Payload)
			continue
		case domainPolicyChannel:
			f.domains.invalidate()
		case permissionsChannel:
			f.perms.invalidate()
		case siteChannel:
			f.site.invalidate()
		}
		f.pages.changed()
	}
}
