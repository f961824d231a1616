package inbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
)

// Who may moderate for a remote Group (SECURITY.md rule 4): the Group itself, an actor on the
// Group's own origin (its server administers it), or a member of the Group's moderators
// collection (Lemmy publishes it as the Group's attributedTo), fetched from the Group's origin
// when a moderation act arrives. A Group that relays an activity speaks for its own threads only.

// maxModerators bounds how many entries of a moderators collection are read.
const maxModerators = 200

// moderates reports whether the activity's actor may moderate for the remote Group groupID.
func (a *apply) moderates(ctx context.Context, groupID int64) (bool, error) {
	group, err := a.ib.forum.ActorByID(ctx, groupID)
	if err != nil {
		return false, err
	}
	switch {
	case group.Local():
		return false, nil
	case a.via != nil && a.via.ID != group.ID:
		return false, nil
	case a.actor.ID == group.ID, federation.SameOrigin(a.actor.APID, group.APID):
		return true, nil
	}
	mods, err := a.groupModerators(ctx, group)
	if err != nil {
		return false, fmt.Errorf("moderators of %s: %w", group.APID, err)
	}
	for _, m := range mods {
		if m == a.actor.APID {
			return true, nil
		}
	}
	return false, nil
}

// groupModerators fetches a Group's moderators collection: the Group document from its origin,
// its attributedTo (or moderators) collection on the same origin, and that collection's items (or
// its first page's).
func (a *apply) groupModerators(ctx context.Context, group forum.Actor) ([]string, error) {
	doc, err := a.ib.fed.Fetcher.Get(ctx, group.APID)
	if err != nil {
		return nil, err
	}
	var g struct {
		AttributedTo json.RawMessage `json:"attributedTo"`
		Moderators   json.RawMessage `json:"moderators"`
	}
	if err := json.Unmarshal(doc.Body, &g); err != nil {
		return nil, fmt.Errorf("%w: %v", federation.ErrMalformed, err)
	}
	collection := firstID(g.Moderators)
	if collection == "" {
		collection = firstID(g.AttributedTo)
	}
	if collection == "" || !federation.SameOrigin(collection, group.APID) {
		return nil, nil
	}
	c, err := a.ib.fed.Fetcher.Get(ctx, collection)
	if err != nil {
		return nil, err
	}
	items, first := collectionItems(c.Body)
	if len(items) == 0 && first != "" && federation.SameOrigin(first, group.APID) {
		page, err := a.ib.fed.Fetcher.Get(ctx, first)
		if err != nil {
			return nil, err
		}
		items, _ = collectionItems(page.Body)
	}
	return items, nil
}

// collectionItems reads a collection's (or page's) items as ids, at most maxModerators, and the id
// of its first page.
func collectionItems(body []byte) (items []string, first string) {
	var c struct {
		OrderedItems []json.RawMessage `json:"orderedItems"`
		Items        []json.RawMessage `json:"items"`
		First        json.RawMessage   `json:"first"`
	}
	if json.Unmarshal(body, &c) != nil {
		return nil, ""
	}
	for _, it := range append(c.OrderedItems, c.Items...) {
		if len(items) >= maxModerators {
			break
		}
		if id := firstID(it); id != "" {
			items = append(items, id)
		}
	}
	if f := bytes.TrimSpace(c.First); len(f) > 0 && f[0] == '{' {
		embedded, _ := collectionItems(f)
		items = append(items, embedded...)
	}
	return items, firstID(c.First)
}

// firstID reads an id from a value that may be an IRI, an object with an id, or a list of either.
func firstID(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		_ = json.Unmarshal(raw, &s)
		return s
	case '{':
		var o struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(raw, &o)
		return o.ID
	case '[':
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) == nil {
			for _, it := range list {
				if id := firstID(it); id != "" {
					return id
				}
			}
		}
	}
	return ""
}
