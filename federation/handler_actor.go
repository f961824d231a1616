package federation

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/stoa-forum/stoa/forum"
)

// serveActor answers an actor's document: the full one, or the reduced one for an unsigned request
// under authorized fetch, or 410 with a Tombstone for a deleted actor.
func (h *Handler) serveActor(w http.ResponseWriter, r *http.Request, load func(ctx context.Context) (actorInput, *forum.Actor, error)) {
	r, verr := h.verifyFetch(r)
	if verr != nil && !errors.Is(verr, ErrUnsigned) {
		h.fail(w, r, verr)
		return
	}
	in, a, err := load(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if a.DeletedAt != nil {
		h.writeDocument(w, r, http.StatusGone, tombstone(in.IDs.ID, actorTypeName(in.Kind)))
		return
	}
	if in.PublicKeyPEM, err = h.publicKeyPEM(r.Context(), *a); err != nil {
		h.fail(w, r, err)
		return
	}
	in.IDs, err = h.iris.Actor(*a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	in.Kind = a.Kind
	in.SharedInbox = h.iris.SharedInbox()
	in.PreferredUsername = a.Username
	doc, err := actorDocument(in, verr != nil)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeDocument(w, r, http.StatusOK, doc)
}

func (h *Handler) person(w http.ResponseWriter, r *http.Request) {
	h.serveActor(w, r, func(ctx context.Context) (actorInput, *forum.Actor, error) {
		p, err := h.forum.LocalPersonByUsername(ctx, chi.URLParam(r, "username"))
		if err != nil {
			return actorInput{}, nil, err
		}
		return personInput(h.iris, p), &p.Actor, nil
	})
}

func (h *Handler) group(w http.ResponseWriter, r *http.Request) {
	h.serveActor(w, r, func(ctx context.Context) (actorInput, *forum.Actor, error) {
		c, a, err := h.category(ctx, chi.URLParam(r, "slug"))
		if err != nil {
			return actorInput{}, nil, err
		}
		return groupInput(h.iris, c, a), &a, nil
	})
}

func (h *Handler) threadActor(w http.ResponseWriter, r *http.Request) {
	h.serveActor(w, r, func(ctx context.Context) (actorInput, *forum.Actor, error) {
		ta, err := h.thread(ctx, chi.URLParam(r, "thread"))
		if err != nil {
			return actorInput{}, nil, err
		}
		return threadActorInput(h.iris, ta), &ta.Actor, nil
	})
}

// personInput is what a member's Person document shows.
func personInput(iris IRIs, p forum.LocalPerson) actorInput {
	in := actorInput{Kind: p.Kind, Name: p.Name(), SummaryHTML: p.SummaryHTML, URL: iris.Member(p.Username),
		IconURL: iris.Icon(p.AvatarURL), Published: p.JoinedAt, ManuallyApprovesFollowers: p.ManuallyApprovesFollowers,
		Discoverable: p.Discoverable, Indexable: p.Discoverable, Links: p.Links}
	in.IDs.ID = iris.Member(p.Username)
	return in
}

// groupInput is what a category's Group document shows.
func groupInput(iris IRIs, c forum.Category, a forum.Actor) actorInput {
	in := actorInput{Kind: a.Kind, Name: c.Title, SummaryHTML: a.SummaryHTML, URL: iris.Category(c.Slug),
		IconURL: iris.Icon(a.AvatarURL), Published: c.CreatedAt, ManuallyApprovesFollowers: a.ManuallyApprovesFollowers,
		Discoverable: a.Discoverable, Indexable: true, PostingRestrictedToMods: c.PostingRestrictedToMods}
	in.IDs.ID = iris.Category(c.Slug)
	return in
}

// threadActorInput is what a thread's Service document shows. Not discoverable: directories of
// accounts would fill with threads. Its posts are public, so they may be indexed.
func threadActorInput(iris IRIs, ta forum.ThreadActor) actorInput {
	in := actorInput{Kind: ta.Kind, Name: ta.Title, SummaryHTML: ta.AboutHTML(), URL: iris.Thread(ta.ThreadID),
		IconURL: iris.Icon(""), Published: ta.ThreadCreatedAt, Discoverable: false, Indexable: true}
	in.IDs.ID = iris.ThreadActor(ta.ThreadID)
	return in
}

// instanceActor is always served in full and unsigned: peers fetch it to verify the signatures of
// Stoa's own fetches, so requiring a signature for it would deadlock two servers in secure mode.
func (h *Handler) instanceActor(w http.ResponseWriter, r *http.Request) {
	a, err := h.forum.InstanceActor(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pemText, err := h.forum.PublicKeyPEM(r.Context(), a.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ids, err := h.iris.Actor(a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	host := h.iris.Origin().Hostname()
	doc, err := actorDocument(actorInput{Kind: a.Kind, IDs: ids, SharedInbox: h.iris.SharedInbox(),
		PreferredUsername: a.Username, Name: host,
		SummaryHTML: "<p>The service actor of " + html.EscapeString(host) + ". It signs the requests this server makes.</p>",
		URL:         h.iris.Base() + "/", IconURL: h.iris.Icon(""), PublicKeyPEM: pemText, Published: a.CreatedAt,
		ManuallyApprovesFollowers: true}, false)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeDocument(w, r, http.StatusOK, doc)
}

// category loads a published local category and its actor: one guests may not see is not found,
// exactly as an unknown one (forum.PublishedCategoryBySlug).
func (h *Handler) category(ctx context.Context, slug string) (forum.Category, forum.Actor, error) {
	c, err := h.forum.PublishedCategoryBySlug(ctx, slug)
	if err != nil {
		return forum.Category{}, forum.Actor{}, err
	}
	a, err := h.forum.ActorByID(ctx, c.ActorID)
	return c, a, err
}

// thread parses a thread id from the path and returns its actor, made on first need. A thread in
// a category guests may not see is not found, as an unknown one (forum.PublishedThreadActor).
func (h *Handler) thread(ctx context.Context, param string) (forum.ThreadActor, error) {
	id, ok := parseID(param)
	if !ok {
		return forum.ThreadActor{}, fmt.Errorf("thread %q: %w", param, forum.ErrNotFound)
	}
	return h.forum.PublishedThreadActor(ctx, id)
}

// publicKeyPEM returns an actor's public key, generating thread actors' keys one at a time.
func (h *Handler) publicKeyPEM(ctx context.Context, a forum.Actor) (string, error) {
	if a.Kind == forum.ActorThread {
		select {
		case h.keyGate <- struct{}{}:
			defer func() { <-h.keyGate }()
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	return h.forum.PublicKeyPEM(ctx, a.ID)
}

// tombstone is the document of something deleted; formerType is left out when "" (not known).
func tombstone(id, formerType string) map[string]any {
	t := map[string]any{"@context": ldContext(), "id": id, "type": "Tombstone"}
	if formerType != "" {
		t["formerType"] = formerType
	}
	return t
}

func actorTypeName(kind forum.ActorKind) string {
	if _, name, err := newActorType(kind); err == nil {
		return name
	}
	return "Object"
}

// pageWanted reads a collection request's ?page=: absent asks for the collection itself, 1 for a
// page (its place given by the after= or before= cursor). Stoa gives out no other page number (its
// pages are keyset pages, each linking the next), and answering one with page 1 under page 1's id
// would fail the fetching peer's check that a document's id is the URL it fetched.
func pageWanted(r *http.Request) (bool, error) {
	switch r.URL.Query().Get("page") {
	case "":
		return false, nil
	case "1":
		return true, nil
	}
	return false, forum.Invalid("page", "must be 1: later pages are reached by each page's next link")
}

// pageCursor parses the before= keyset cursor of a collection page.
func pageCursor(r *http.Request) (int64, bool) {
	v := r.URL.Query().Get("before")
	if v == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil && n > 0
}
