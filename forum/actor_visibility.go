package forum

import (
	"context"
	"errors"
	"fmt"
)

// What is published to other servers, and what a local actor shows whoever looks it up.
//
// A follower or a fetching peer is no more than a guest here (guestFollowable,
// FederatedThreadByID): whatever it receives it may show to anyone. So a category guests may not
// see is not published at all: its Group, its threads' actors and everything under them are
// ErrNotFound, as an unknown category or thread is, so that neither a 410 nor a document tells
// that it exists.

// PublishedCategoryBySlug loads a local category that is published to the fediverse: one a guest
// may see. Any other is ErrNotFound, as an unknown slug is.
func (f *Forum) PublishedCategoryBySlug(ctx context.Context, slug string) (Category, error) {
	c, err := f.CategoryBySlug(ctx, slug)
	if err != nil {
		return Category{}, err
	}
	if err := f.requireSee(ctx, Guest, c, fmt.Sprintf("category %q", slug)); err != nil {
		return Category{}, err
	}
	return c, nil
}

// Published reports whether a category is published to the fediverse (a guest may see it): only
// then do it and its threads have actors another server can follow, and the API and pages offer
// their handles.
func (f *Forum) Published(ctx context.Context, categoryID int64) (bool, error) {
	c, err := f.categoryDefinition(ctx, categoryID)
	if err != nil {
		return false, err
	}
	p, err := f.Permissions(ctx, Guest, c)
	return err == nil && p.See, err
}

// PublishedThreadActor is EnsureThreadActor for what is served to the fediverse: a thread in a
// category guests may not see is ErrNotFound, deleted or not, and gets no actor. EnsureThreadActor
// itself stays as it is for the inbox and outbox, which answer and update actors that exist.
func (f *Forum) PublishedThreadActor(ctx context.Context, threadID int64) (ThreadActor, error) {
	what := fmt.Sprintf("thread %d", threadID)
	ta, err := f.threadActor(ctx, threadID)
	switch {
	case err == nil:
		// The usual case, one query: the actor exists and its row says where the thread is now.
		c, err := f.categoryDefinition(ctx, ta.CategoryID)
		if err != nil {
			return ThreadActor{}, err
		}
		if err := f.requireSee(ctx, Guest, c, what); err != nil {
			return ThreadActor{}, err
		}
		return ta, nil
	case !errors.Is(err, ErrGone) && !errors.Is(err, errNoThreadActor):
		return ThreadActor{}, err // unknown, hidden or remote: 404 already, nothing more to hide
	}
	// Deleted (a 410 would tell the thread was there) or no actor yet (one would be made): the
	// category decides first.
	var categoryID int64
	if err := f.db.QueryRow(ctx, `SELECT category_id FROM threads WHERE id = $1`, threadID).Scan(&categoryID); err != nil {
		return ThreadActor{}, notFound(err, what)
	}
	c, err := f.categoryDefinition(ctx, categoryID)
	if err != nil {
		return ThreadActor{}, err
	}
	if err := f.requireSee(ctx, Guest, c, what); err != nil {
		return ThreadActor{}, err
	}
	return f.EnsureThreadActor(ctx, threadID)
}

// LocalActorVisible checks that v may see what a local actor stands for, before a lookup shows it:
// a category's Group needs the category to be visible to v, a thread's actor the thread to be
// readable by v. Members and the instance actor are public. What v may not see is ErrNotFound.
func (f *Forum) LocalActorVisible(ctx context.Context, v Viewer, a Actor) error {
	switch a.Kind {
	case ActorGroup:
		c, err := f.CategoryBySlug(ctx, a.Username)
		if err != nil {
			return err
		}
		return f.requireSee(ctx, v, c, "actor "+a.Username)
	case ActorThread:
		id, ok := ThreadIDFromActorUsername(a.Username)
		if !ok {
			return fmt.Errorf("actor %s: %w", a.Username, ErrNotFound)
		}
		// The thread page's own rules: category, hidden, deleted, limited authors.
		if _, err := f.ThreadByID(ctx, v, id); err != nil {
			return fmt.Errorf("actor %s: %w", a.Username, err)
		}
	}
	return nil
}

// requireSee is ErrNotFound, naming what, unless v may see category c.
func (f *Forum) requireSee(ctx context.Context, v Viewer, c Category, what string) error {
	p, err := f.Permissions(ctx, v, c)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if !p.See {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}
