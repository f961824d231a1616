package forum

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// InstanceActor returns the instance's own actor (an Application that signs every fetch and every
// report Stoa sends), creating it the first time it is needed. Its handle, "instance.actor", has a
// dot and so can never be a member's or a category's. Concurrent first calls create one row: the
// insert relies on the unique index over local handles.
func (f *Forum) InstanceActor(ctx context.Context) (Actor, error) {
	a, err := f.queryActor(ctx, nil, "a.domain IS NULL AND a.username = $1", InstanceActorUsername)
	if err == nil {
		return a, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return Actor{}, fmt.Errorf("instance actor: %w", err)
	}
	_, err = f.db.Exec(ctx, `INSERT INTO actors (kind, username, manually_approves_followers) VALUES ('instance', $1, true)
		ON CONFLICT (username) WHERE domain IS NULL DO NOTHING`, InstanceActorUsername)
	if err != nil {
		return Actor{}, fmt.Errorf("create instance actor: %w", err)
	}
	a, err = f.queryActor(ctx, nil, "a.domain IS NULL AND a.username = $1", InstanceActorUsername)
	if err != nil {
		return Actor{}, notFound(err, "instance actor")
	}
	if a.Kind != ActorInstance {
		return Actor{}, fmt.Errorf("local actor %q has kind %q, not instance", InstanceActorUsername, a.Kind)
	}
	return a, nil
}
