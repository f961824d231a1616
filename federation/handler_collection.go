package federation

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/stoa-forum/stoa/forum"
)

// collectionPageSize is the number of items on one page of followers or following.
const collectionPageSize = 50

// servedCollections are the GET-able collections of each kind of actor (inboxes are POST only).
// followers_synchronization is the partial followers collection of FEP-8fcf.
var servedCollections = map[forum.ActorKind]map[string]bool{
	forum.ActorPerson: {"outbox": true, "followers": true, "following": true, followersSync: true},
	forum.ActorGroup: {"outbox": true, "followers": true, "following": true, "moderators": true, "featured": true,
		followersSync: true},
	forum.ActorThread:   {"outbox": true, "followers": true, "following": true, followersSync: true},
	forum.ActorInstance: {"outbox": true, "followers": true, "following": true},
}

func (h *Handler) personCollection(w http.ResponseWriter, r *http.Request) {
	h.serveCollection(w, r, func(ctx context.Context) (forum.Actor, int64, error) {
		a, err := h.forum.LocalActorByUsername(ctx, chi.URLParam(r, "username"))
		if err == nil && a.Kind != forum.ActorPerson {
			err = fmt.Errorf("%s is not a member: %w", a.Username, forum.ErrNotFound)
		}
		return a, 0, err
	})
}

func (h *Handler) groupCollection(w http.ResponseWriter, r *http.Request) {
	h.serveCollection(w, r, func(ctx context.Context) (forum.Actor, int64, error) {
		c, a, err := h.category(ctx, chi.URLParam(r, "slug"))
		return a, c.ID, err
	})
}

func (h *Handler) threadCollection(w http.ResponseWriter, r *http.Request) {
	h.serveCollection(w, r, func(ctx context.Context) (forum.Actor, int64, error) {
		ta, err := h.thread(ctx, chi.URLParam(r, "thread"))
		return ta.Actor, ta.ThreadID, err
	})
}

func (h *Handler) instanceCollection(w http.ResponseWriter, r *http.Request) {
	h.serveCollection(w, r, func(ctx context.Context) (forum.Actor, int64, error) {
		a, err := h.forum.InstanceActor(ctx)
		return a, 0, err
	})
}

// serveCollection answers one of an actor's collections. load returns the actor and, for
// categories, the category id (featured lists its pinned threads).
func (h *Handler) serveCollection(w http.ResponseWriter, r *http.Request, load func(ctx context.Context) (forum.Actor, int64, error)) {
	name := chi.URLParam(r, "collection")
	a, categoryID, err := load(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !servedCollections[a.Kind][name] {
		h.fallback.ServeHTTP(w, r)
		return
	}
	if r, err = h.verifyFetch(r); err != nil {
		h.fail(w, r, err)
		return
	}
	if a.DeletedAt != nil {
		h.fail(w, r, fmt.Errorf("actor %s: %w", a.Username, forum.ErrGone))
		return
	}
	ids, err := h.iris.Actor(a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var doc map[string]any
	switch name {
	case "followers":
		doc, err = h.followCollection(r, ids.Followers, a.ID, h.forum.CountFollowers, h.forum.FollowersPage)
	case "following":
		doc, err = h.followCollection(r, ids.Following, a.ID, h.forum.CountFollowing, h.forum.FollowingPage)
	case "outbox":
		doc, err = h.outboxCollection(r, ids.Outbox, a)
	case followersSync:
		doc, err = h.followersSynchronization(r, ids, a)
	case "moderators":
		doc, err = h.moderators(r.Context(), ids.Moderators)
	case "featured":
		doc, err = h.featured(r.Context(), ids.Featured, categoryID)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeDocument(w, r, http.StatusOK, doc)
}

type countFunc func(ctx context.Context, actorID int64) (int, error)
type pageFunc func(ctx context.Context, actorID, before int64, limit int) ([]forum.ListedActor, error)

// followCollection serves followers or following: the collection with its size and first page, or
// (with ?page=1) a page, newest first, keyset-paged by ?before=.
func (h *Handler) followCollection(r *http.Request, id string, actorID int64, count countFunc, page pageFunc) (map[string]any, error) {
	first := id + "?page=1"
	paged, err := pageWanted(r)
	if err != nil {
		return nil, err
	}
	if !paged {
		n, err := count(r.Context(), actorID)
		if err != nil {
			return nil, err
		}
		return orderedCollectionDocument(collectionInput{ID: id, TotalItems: n, First: first})
	}
	before, ok := pageCursor(r)
	if !ok {
		return nil, forum.Invalid("before", "must be a positive integer")
	}
	list, err := page(r.Context(), actorID, before, collectionPageSize)
	if err != nil {
		return nil, err
	}
	items, err := h.listedIRIs(list)
	if err != nil {
		return nil, err
	}
	pageID, next := first, ""
	if before > 0 {
		pageID += "&before=" + strconv.FormatInt(before, 10)
	}
	if len(list) == collectionPageSize {
		next = first + "&before=" + strconv.FormatInt(list[len(list)-1].Cursor, 10)
	}
	return collectionPageDocument(pageID, id, next, items)
}

func (h *Handler) listedIRIs(list []forum.ListedActor) ([]string, error) {
	items := make([]string, 0, len(list))
	for _, l := range list {
		iri, err := h.iris.ActorID(l.Actor())
		if err != nil {
			return nil, err
		}
		items = append(items, iri)
	}
	return items, nil
}

// moderators is a category's moderators collection (FEP-1b12: the Group's attributedTo).
func (h *Handler) moderators(ctx context.Context, id string) (map[string]any, error) {
	mods, err := h.forum.Moderators(ctx)
	if err != nil {
		return nil, err
	}
	items, err := h.listedIRIs(mods)
	if err != nil {
		return nil, err
	}
	return orderedCollectionDocument(collectionInput{ID: id, TotalItems: len(items), Items: items, Inline: true})
}

// featured lists the opening posts of a category's pinned threads.
func (h *Handler) featured(ctx context.Context, id string, categoryID int64) (map[string]any, error) {
	postIDs, err := h.forum.FeaturedPostIDs(ctx, categoryID)
	if err != nil {
		return nil, err
	}
	items := make([]string, len(postIDs))
	for i, p := range postIDs {
		items[i] = h.iris.Post(p)
	}
	return orderedCollectionDocument(collectionInput{ID: id, TotalItems: len(items), Items: items, Inline: true})
}
