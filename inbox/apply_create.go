package inbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
)

// applyCreate stores a Note, Article or Page: a reply goes into the thread of the post it answers
// (whichever inbox it came to: Mastodon replies often address only the person they answer), a post
// that answers nothing starts a thread in the category it addresses or mentions, or in the mirror
// of the Group that relayed it. Only the author may create their post (SECURITY.md rule 4): the
// object's attributedTo must be the activity's actor. Other object types (a poll, a video, a chat
// message) are ignored.
func applyCreate(ctx context.Context, a *apply) error {
	ref, err := a.object()
	if err != nil {
		return err
	}
	if ref.Embedded() && !postTypes[ref.Type] {
		return ignore("Stoa does not store %s objects", ref.Type)
	}
	obj, err := a.postObject(ctx, ref)
	if errors.Is(err, federation.ErrUnsupportedObject) {
		return ignore("%v", err)
	}
	if err != nil {
		return err
	}
	if obj.AttributedTo != a.actor.APID {
		return fmt.Errorf("%s creates a post attributed to %s: %w", a.actor.APID, obj.AttributedTo, forum.ErrForbidden)
	}
	// Storing the post is the last thing this activity does: its transaction may mark the
	// activity applied, unless the activity was relayed (the Announce is what was recorded).
	a.finishes = a.via == nil && a.rec.ID != 0
	_, created, err := a.storePost(ctx, obj, a.relayID(), 0)
	if err != nil {
		return err
	}
	if !created {
		return ignore("%s was stored already", obj.ID)
	}
	return nil
}

// postTypes are the object types stored as posts.
var postTypes = map[string]bool{"Note": true, "Article": true, "Page": true}
