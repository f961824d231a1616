package forum

import (
	"context"
	"fmt"
)

// Whether what a local actor stands for may be shown to whoever looks it up.

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
