package federation

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/stoa-forum/stoa/forum"
)

// postPageSize is the number of items on one page of a replies or context collection.
const postPageSize = 50

// post answers /p/{id}: a local post's Article or Note; 410 with a Tombstone once deleted; 404 for
// hidden posts, posts in hidden threads or in categories a guest cannot read, and remote posts.
func (h *Handler) post(w http.ResponseWriter, r *http.Request) {
	r, err := h.verifyFetch(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, ok := parseID(chi.URLParam(r, "post"))
	if !ok {
		h.fail(w, r, fmt.Errorf("post %q: %w", chi.URLParam(r, "post"), forum.ErrNotFound))
		return
	}
	p, err := h.docs.visiblePost(r.Context(), id)
	if errors.Is(err, forum.ErrGone) {
		tomb := tombstone(h.iris.Post(id), objectTypeOf(p))
		if p.DeletedAt != nil {
			tomb["deleted"] = p.DeletedAt.UTC().Format("2006-01-02T15:04:05Z")
		}
		h.writeDocument(w, r, http.StatusGone, tomb)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	obj, err := h.docs.PostObject(r.Context(), p, false)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeDocument(w, r, http.StatusOK, withContext(obj.Doc))
}

// postReplies answers /p/{id}/replies: the post's direct replies (posts answering it; for an opener
// also the replies answering no one in particular), oldest first, paged by position. Mastodon 4.5
// walks these to fetch whole conversations.
func (h *Handler) postReplies(w http.ResponseWriter, r *http.Request) {
	r, err := h.verifyFetch(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, ok := parseID(chi.URLParam(r, "post"))
	if !ok {
		h.fail(w, r, fmt.Errorf("post %q: %w", chi.URLParam(r, "post"), forum.ErrNotFound))
		return
	}
	p, err := h.docs.visiblePost(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	collID := h.iris.PostReplies(id)
	var doc map[string]any
	paged, err := pageWanted(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !paged {
		n, err := h.forum.CountPostReplies(r.Context(), p)
		if err == nil {
			doc, err = orderedCollectionDocument(collectionInput{ID: collID, TotalItems: n, First: collID + "?page=1"})
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.writeDocument(w, r, http.StatusOK, doc)
		return
	}
	after, ok := positionCursor(r)
	if !ok {
		h.fail(w, r, forum.Invalid("after", "must be a non-negative integer"))
		return
	}
	refs, err := h.forum.PostReplyRefs(r.Context(), p, after, postPageSize)
	if err == nil {
		doc, err = h.postRefPage(collID, after, refs)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeDocument(w, r, http.StatusOK, doc)
}

// postRefPage is one page of a collection of posts, paged by position (?page=1&after=N).
func (h *Handler) postRefPage(collID string, after int, refs []forum.PostRef) (map[string]any, error) {
	items := make([]string, len(refs))
	for i, p := range refs {
		items[i] = h.docs.PostIRI(forum.Post{ID: p.ID, APID: p.APID})
	}
	first := collID + "?page=1"
	pageID, next := first, ""
	if after > 0 {
		pageID += "&after=" + strconv.Itoa(after)
	}
	if len(refs) == postPageSize {
		next = first + "&after=" + strconv.Itoa(refs[len(refs)-1].Position)
	}
	return collectionPageDocument(pageID, collID, next, items)
}

// positionCursor parses the after= cursor of a page of posts (0 when absent).
func positionCursor(r *http.Request) (int, bool) {
	v := r.URL.Query().Get("after")
	if v == "" {
		return 0, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= 0
}
