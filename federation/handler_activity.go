package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/stoa-forum/stoa/forum"
)

// addressedVerbs are activities meant for one party (a follow and its answer, a block, a report):
// they are served only to a signed request from that party's server, never to the public.
var addressedVerbs = map[forum.Verb]bool{
	forum.VerbFollow: true, forum.VerbUndoFollow: true, forum.VerbAccept: true, forum.VerbReject: true,
	forum.VerbBlock: true, forum.VerbUndoBlock: true, forum.VerbFlag: true,
}

// activity answers /activities/{id}: a recorded activity's document, the bytes its deliveries carried
// (built and stored now if the outbox has not yet). Activities about public content are public; a
// Create or Update of a post since deleted answers 410, of a post since hidden 404. Addressed
// activities (Follow, Accept, Block, Flag, ...) are served only to their addressee's server.
func (h *Handler) activity(w http.ResponseWriter, r *http.Request) {
	h.serveActivity(w, r, "")
}

// activityDocument answers /activities/{id}/{name}: a document derived from a recorded activity (a
// category's Announce of it), under the same rules as the activity.
func (h *Handler) activityDocument(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "document")
	if name == "" {
		h.fail(w, r, forum.ErrNotFound)
		return
	}
	h.serveActivity(w, r, name)
}

func (h *Handler) serveActivity(w http.ResponseWriter, r *http.Request, name string) {
	r, verr := h.verifyFetch(r)
	if verr != nil {
		h.fail(w, r, verr)
		return
	}
	id, ok := parseID(chi.URLParam(r, "activity"))
	if !ok {
		h.fail(w, r, fmt.Errorf("activity %q: %w", chi.URLParam(r, "activity"), forum.ErrNotFound))
		return
	}
	ctx := r.Context()
	a, err := h.forum.ActivityByID(ctx, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// Building the document checks that what it is about may still be shown.
	built, err := h.docs.Activity(ctx, a, false)
	if errors.Is(err, forum.ErrGone) {
		h.writeDocument(w, r, http.StatusGone, tombstone(h.iris.Activity(id), activityTypeName(a.Verb)))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if addressedVerbs[a.Verb] {
		if err := h.checkAddressee(r, built.Body); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	var body []byte
	if name == "" {
		body, err = h.forum.SetActivityPayload(ctx, id, built.Body)
	} else {
		var d forum.ActivityDocument
		d, err = h.forum.ActivityDocumentByName(ctx, id, name)
		body = d.Payload
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeStored(w, r, body)
}

// checkAddressee lets only a request signed by a server of one of the document's "to" addressees
// read an addressed activity. Without a verifier nothing is shown.
func (h *Handler) checkAddressee(r *http.Request, body []byte) error {
	v, ok := Signer(r.Context())
	if !ok {
		if h.verifier == nil {
			return errNotPublic
		}
		verified, err := h.verifier.Verify(r.Context(), r, nil)
		if err != nil {
			return errNotPublic
		}
		v = verified
	}
	var doc struct {
		To json.RawMessage `json:"to"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return err
	}
	to, err := iriList(doc.To, "to")
	if err != nil {
		return err
	}
	for _, iri := range to {
		if SameOrigin(iri, v.Owner) {
			return nil
		}
	}
	return errNotPublic
}

// writeStored answers with stored document bytes as they are (re-serializing would change them).
func (h *Handler) writeStored(w http.ResponseWriter, r *http.Request, body []byte) {
	if !json.Valid(body) {
		h.fail(w, r, errors.New("stored document is not JSON"))
		return
	}
	h.writeBody(w, r, http.StatusOK, body)
}

// activityTypeName is the ActivityStreams type of a verb's document (for Tombstones).
func activityTypeName(v forum.Verb) string {
	switch v {
	case forum.VerbCreate:
		return "Create"
	case forum.VerbUpdate:
		return "Update"
	case forum.VerbLike:
		return "Like"
	case forum.VerbAnnounce:
		return "Announce"
	}
	return "Activity"
}

// ActivityBody returns the stored document of a recorded activity, building and storing it first
// if needed; the outbox and the GET handler share it, so both serve the first bytes stored.
func (d *Documents) ActivityBody(ctx context.Context, a forum.Activity, resolve bool) ([]byte, Built, error) {
	built, err := d.Activity(ctx, a, resolve)
	if err != nil {
		return nil, Built{}, err
	}
	if len(a.Payload) > 0 {
		return a.Payload, built, nil
	}
	stored, err := d.forum.SetActivityPayload(ctx, a.ID, built.Body)
	return stored, built, err
}
