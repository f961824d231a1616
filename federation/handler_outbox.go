package federation

import (
	"net/http"
	"strconv"

	"github.com/stoa-forum/stoa/forum"
)

// outboxCollection is an actor's outbox: its public activities, newest first, keyset-paged by
// activity id. A member lists the Creates of their visible posts, a category its Announces of new
// threads, a thread actor its Announces of replies; the instance actor lists nothing. Each item
// dereferences at its id.
func (h *Handler) outboxCollection(r *http.Request, id string, a forum.Actor) (map[string]any, error) {
	first := id + "?page=1"
	paged, err := pageWanted(r)
	if err != nil {
		return nil, err
	}
	if !paged {
		_, total, err := h.forum.ActorOutbox(r.Context(), a, 0, 1)
		if err != nil {
			return nil, err
		}
		if total == 0 {
			first = ""
		}
		return orderedCollectionDocument(collectionInput{ID: id, TotalItems: total, First: first})
	}
	before, ok := pageCursor(r)
	if !ok {
		return nil, forum.Invalid("before", "must be a positive integer")
	}
	refs, _, err := h.forum.ActorOutbox(r.Context(), a, before, collectionPageSize)
	if err != nil {
		return nil, err
	}
	items := make([]string, len(refs))
	for i, ref := range refs {
		items[i] = h.iris.Activity(ref.ID)
		if ref.Document != "" {
			items[i] = h.iris.ActivityDocument(ref.ID, ref.Document)
		}
	}
	pageID, next := first, ""
	if before > 0 {
		pageID += "&before=" + strconv.FormatInt(before, 10)
	}
	if len(refs) == collectionPageSize {
		next = first + "&before=" + strconv.FormatInt(refs[len(refs)-1].ID, 10)
	}
	return collectionPageDocument(pageID, id, next, items)
}
