package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
)

// Bounds of one lookup a member makes from the web or the API: WebFinger, the actor document and
// one same-origin redirect fit the budget; the deadline keeps a slow server from holding the
// member's request (SECURITY.md rule 15).
const (
	lookupFetchBudget = 4
	lookupTimeout     = 15 * time.Second
)

// webRemote answers the web package's RemoteActors interface from federation's WebFinger client
// and actor cache, and turns federation's errors into the domain's, which web knows how to show.
type webRemote struct{ actors *federation.Actors }

func (w webRemote) ResolveHandle(ctx context.Context, username, host string) (forum.Actor, error) {
	ctx, cancel := lookupContext(ctx)
	defer cancel()
	a, err := w.actors.ResolveHandle(ctx, username, host)
	return a, lookupError(ctx, err)
}

func (w webRemote) ResolveID(ctx context.Context, iri string) (forum.Actor, error) {
	ctx, cancel := lookupContext(ctx)
	defer cancel()
	a, err := w.actors.Resolve(ctx, iri)
	return a, lookupError(ctx, err)
}

func lookupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(federation.WithFetchBudget(ctx, lookupFetchBudget), lookupTimeout)
}

// lookupError keeps the domain's errors, names what the member typed wrong, and reports
// everything else (a server that is down, slow, or answers with a document that is not a usable
// actor) as the other server's failure.
func lookupError(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, forum.ErrNotFound), errors.Is(err, forum.ErrGone), errors.Is(err, forum.ErrForbidden),
		errors.Is(err, forum.ErrRateLimited), forum.NotText(err), forum.DatabaseUnavailable(err):
		// Not the other server's failure: bytes that are not text (refused by our database, 400),
		// or our own database away (503).
		return err
	case errors.Is(err, context.Canceled) && ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded):
		// The member went away.
		return err
	case errors.Is(err, federation.ErrInvalidHost), errors.Is(err, federation.ErrUnsafeURL),
		errors.Is(err, federation.ErrForbiddenAddress):
		return fmt.Errorf("%w (%w)", forum.Invalid("actor", "this address may not be fetched"), err)
	case errors.Is(err, federation.ErrUnsupportedObject):
		return fmt.Errorf("%w (%w)", forum.Invalid("actor", "this address is not a person, community or thread"), err)
	case errors.Is(err, federation.ErrHandleMismatch):
		return fmt.Errorf("%w: %w", forum.ErrNotFound, err)
	}
	return fmt.Errorf("%w: %w", forum.ErrUnavailable, err)
}
