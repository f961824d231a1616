package federation

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/stoa-forum/stoa/forum"
)

// threadContext answers /t/{id} for ActivityStreams requests: the thread's context collection
// (FEP-7888, FEP-f228), an OrderedCollection of its visible posts oldest first, paged by position,
// attributed to the category's Group and linking the thread's history. Peers poll it with
// If-None-Match: the ETag changes only when the page does.
func (h *Handler) threadContext(w http.ResponseWriter, r *http.Request) {
	r, t, group, ok := h.loadThread(w, r)
	if !ok {
		return
	}
	collID := h.iris.Thread(t.ID)
	paged, err := pageWanted(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !paged {
		doc, err := orderedCollectionDocument(collectionInput{ID: collID, TotalItems: t.Visible, First: collID + "?page=1",
			AttributedTo: group})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		doc["contextHistory"] = h.iris.ThreadHistory(t.ID)
		doc["audience"] = group
		h.writeDocument(w, r, http.StatusOK, doc)
		return
	}
	after, ok := positionCursor(r)
	if !ok {
		h.fail(w, r, forum.Invalid("after", "must be a non-negative integer"))
		return
	}
	refs, err := h.forum.ThreadPostRefs(r.Context(), t.ID, after, postPageSize)
	var doc map[string]any
	if err == nil {
		doc, err = h.postRefPage(collID, after, refs)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeDocument(w, r, http.StatusOK, doc)
}

// threadHistory answers /t/{id}/history: the thread's recorded activities (creates, edits,
// deletes, likes, locks, moves), oldest first and newest last, paged by activity id, so a peer can
// catch up edits and deletions as well as new posts. Each item dereferences at /activities/{id}.
func (h *Handler) threadHistory(w http.ResponseWriter, r *http.Request) {
	r, t, _, ok := h.loadThread(w, r)
	if !ok {
		return
	}
	collID := h.iris.ThreadHistory(t.ID)
	var doc map[string]any
	paged, err := pageWanted(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !paged {
		var n int
		if n, err = h.forum.CountThreadActivities(r.Context(), t.ID); err == nil {
			doc, err = orderedCollectionDocument(collectionInput{ID: collID, TotalItems: n, First: collID + "?page=1"})
		}
	} else {
		var after int64
		if v := r.URL.Query().Get("after"); v != "" {
			if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
				h.fail(w, r, forum.Invalid("after", "must be a non-negative integer"))
				return
			}
		}
		var refs []forum.ActivityRef
		if refs, err = h.forum.ThreadActivities(r.Context(), t.ID, after, postPageSize); err == nil {
			items := make([]string, len(refs))
			for i, a := range refs {
				items[i] = h.iris.Activity(a.ID)
			}
			first := collID + "?page=1"
			pageID, next := first, ""
			if after > 0 {
				pageID += "&after=" + strconv.FormatInt(after, 10)
			}
			if len(refs) == postPageSize {
				next = first + "&after=" + strconv.FormatInt(refs[len(refs)-1].ID, 10)
			}
			doc, err = collectionPageDocument(pageID, collID, next, items)
		}
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeDocument(w, r, http.StatusOK, doc)
}

// loadThread verifies the request and loads a public local thread with its Group's id; on failure
// it has answered already.
func (h *Handler) loadThread(w http.ResponseWriter, r *http.Request) (*http.Request, forum.FederatedThread, string, bool) {
	r, err := h.verifyFetch(r)
	if err != nil {
		h.fail(w, r, err)
		return r, forum.FederatedThread{}, "", false
	}
	id, ok := parseID(chi.URLParam(r, "thread"))
	if !ok {
		h.fail(w, r, fmt.Errorf("thread %q: %w", chi.URLParam(r, "thread"), forum.ErrNotFound))
		return r, forum.FederatedThread{}, "", false
	}
	t, group, err := h.publicThread(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return r, forum.FederatedThread{}, "", false
	}
	return r, t, group, true
}

func (h *Handler) publicThread(ctx context.Context, id int64) (forum.FederatedThread, string, error) {
	t, err := h.forum.FederatedThreadByID(ctx, id)
	if err != nil {
		return forum.FederatedThread{}, "", err
	}
	if !t.Category.Local() {
		return forum.FederatedThread{}, "", fmt.Errorf("thread %d: %w", id, forum.ErrNotFound)
	}
	return t, h.iris.Category(t.Category.Slug), nil
}
