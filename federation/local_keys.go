package federation

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/stoa-forum/stoa/forum"
)

// LocalKeys hands out local actors' signing keys with their key ids. Parsed keys are cached by
// forum.SigningKey for the life of the process, so this is cheap to call per request.
type LocalKeys struct {
	forum *forum.Forum
	iris  IRIs
	// instanceID caches the instance actor's row id, which never changes once made.
	instanceID atomic.Int64
}

// NewLocalKeys returns the key source for f's actors.
func NewLocalKeys(f *forum.Forum, iris IRIs) *LocalKeys {
	return &LocalKeys{forum: f, iris: iris}
}

// InstanceKey implements InstanceKeySource: the instance actor signs every fetch.
func (k *LocalKeys) InstanceKey(ctx context.Context) (SigningKey, error) {
	id := k.instanceID.Load()
	if id == 0 {
		a, err := k.forum.InstanceActor(ctx)
		if err != nil {
			return SigningKey{}, err
		}
		id = a.ID
		k.instanceID.Store(id)
	}
	sk, err := k.forum.SigningKey(ctx, id)
	if err != nil {
		return SigningKey{}, fmt.Errorf("instance actor key: %w", err)
	}
	return SigningKey{KeyID: KeyID(k.iris.Instance()), Private: sk.Private}, nil
}

// ForActor returns a local actor's signing key (the delivery worker signs with the activity's actor).
func (k *LocalKeys) ForActor(ctx context.Context, a forum.Actor) (SigningKey, error) {
	ids, err := k.iris.Actor(a)
	if err != nil {
		return SigningKey{}, err
	}
	sk, err := k.forum.SigningKey(ctx, a.ID)
	if err != nil {
		return SigningKey{}, fmt.Errorf("key of %s: %w", ids.ID, err)
	}
	return SigningKey{KeyID: ids.KeyID, Private: sk.Private}, nil
}
