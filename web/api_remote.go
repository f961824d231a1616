package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

// The JSON API of remote actors: look one up by handle or URL, read what is known of it, follow
// and unfollow it as the signed-in member, and list the member's follows (docs/API.md).

type apiActor struct {
	ID          int64  `json:"id"`
	Kind        string `json:"kind"`
	Handle      string `json:"handle"`
	APID        string `json:"ap_id"`
	URL         string `json:"url"`
	Page        string `json:"page"`
	Name        string `json:"name"`
	SummaryHTML string `json:"summary_html"`
	AvatarURL   string `json:"avatar_url"`
	Local       bool   `json:"local"`
	// Category is the handle of a remote Group's mirror here (slug@host), for
	// /api/v1/categories/{handle}/threads; null when it has none.
	Category *string `json:"category"`
	// Follow is the caller's follow of the actor; null when they do not follow it.
	Follow *apiFollowState `json:"follow"`
}

type apiFollowState struct {
	State      forum.FollowState `json:"state"`
	FollowedAt time.Time         `json:"followed_at"`
	AcceptedAt *time.Time        `json:"accepted_at"`
}

type apiFollowEntry struct {
	apiFollowState
	Actor apiActor `json:"actor"`
}

type apiFollowList struct {
	Follows    []apiFollowEntry `json:"follows"`
	NextCursor *string          `json:"next_cursor"`
}

// apiActorOf shapes an actor; category is its mirror's handle ("" for none) and fo the caller's
// follow (nil for none).
func (s *Server) apiActorOf(a forum.Actor, category string, fo *forum.Follow) apiActor {
	out := apiActor{ID: a.ID, Kind: apiActorKind(a.Kind), Handle: s.fullHandle(a.Username, a.Domain), APID: a.APID, URL: a.URL,
		Page: s.abs(actorPagePath(a)), Name: a.Name(), SummaryHTML: s.forum.ActorSummaryHTML(a), AvatarURL: safeAvatar(a.AvatarURL),
		Local: a.Local()}
	if a.Local() {
		out.APID = s.localActorAPID(a)
		out.URL = out.Page
		if out.AvatarURL != "" {
			out.AvatarURL = s.abs(out.AvatarURL)
		}
	}
	if category != "" {
		out.Category = &category
	}
	if fo != nil {
		out.Follow = &apiFollowState{State: fo.State, FollowedAt: fo.CreatedAt.UTC(), AcceptedAt: utcOrNil(fo.AcceptedAt)}
	}
	return out
}

// apiActorKind is the API's name of an actor kind: a Stoa thread's actor is a service, as its
// document says (docs/API.md), wherever it lives.
func apiActorKind(k forum.ActorKind) string {
	if k == forum.ActorThread {
		return "service"
	}
	return string(k)
}

// localActorAPID is the ActivityPub id of a local actor, "" without federation.
func (s *Server) localActorAPID(a forum.Actor) string {
	if s.fed == nil {
		return ""
	}
	switch a.Kind {
	case forum.ActorGroup:
		return s.fed.CategoryAPID(a.Username)
	case forum.ActorThread:
		if id, ok := forum.ThreadIDFromActorUsername(a.Username); ok {
			_, apID := s.fed.ThreadFollow(id)
			return apID
		}
		return ""
	}
	return s.fed.MemberAPID(a.Username)
}

// apiActorFor shapes an actor as v sees it: with its mirror and v's follow of it.
func (s *Server) apiActorFor(ctx context.Context, v forum.Viewer, a forum.Actor) (apiActor, error) {
	var category string
	var fo *forum.Follow
	if a.Local() && a.Kind == forum.ActorGroup {
		category = a.Username // a local category's slug: its threads are /api/v1/categories/{slug}/threads
	}
	if !a.Local() && a.Kind == forum.ActorGroup {
		c, err := s.forum.RemoteCategoryByActor(ctx, a.ID)
		switch {
		case err == nil:
			category = c.Handle()
		case !errors.Is(err, forum.ErrNotFound):
			return apiActor{}, err
		}
	}
	if a.Local() && a.Kind == forum.ActorThread {
		// A local thread's actor row keeps no summary: its document makes one from the thread.
		if id, ok := forum.ThreadIDFromActorUsername(a.Username); ok {
			// Published: public threads only, whose actor peers may fetch; staff looking up one
			// of a private category get it without a summary.
			ta, err := s.forum.PublishedThreadActor(ctx, id)
			switch {
			case err == nil:
				a.SummaryHTML = ta.AboutHTML()
			case !errors.Is(err, forum.ErrNotFound):
				return apiActor{}, err
			}
		}
	}
	if v.SignedIn() && !a.Local() {
		f, err := s.forum.FollowBetween(ctx, v.ActorID, a.ID)
		switch {
		case err == nil:
			fo = &f
		case !errors.Is(err, forum.ErrNotFound):
			return apiActor{}, err
		}
	}
	return s.apiActorOf(a, category, fo), nil
}

// apiLookup: GET /api/v1/lookup?q=@name@host (or an actor URL) -> the actor. Signed-in members
// only: a lookup may make this server fetch from another.
func (s *Server) apiLookup(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	a, err := s.lookupRemote(r.Context(), v, "q", r.URL.Query().Get("q"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.apiActorFor(r.Context(), v, a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// apiRemoteActor: GET /api/v1/actors/{id} -> a remote actor already known here. It makes no
// request to another server.
func (s *Server) apiRemoteActor(w http.ResponseWriter, r *http.Request) {
	a, err := s.remoteActorParam(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.apiActorFor(r.Context(), viewerOf(r), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// remoteActorParam loads the remote actor named by the {id} route parameter; local, suspended
// and unknown actors are not found, deleted ones gone.
func (s *Server) remoteActorParam(r *http.Request) (forum.Actor, error) {
	id, err := idParam(r, "id")
	if err != nil {
		return forum.Actor{}, err
	}
	a, err := s.forum.ActorByID(r.Context(), id)
	switch {
	case err != nil:
		return forum.Actor{}, err
	case a.Local() || a.SuspendedAt != nil:
		return forum.Actor{}, fmt.Errorf("remote actor %d: %w", id, forum.ErrNotFound)
	case a.DeletedAt != nil:
		return forum.Actor{}, fmt.Errorf("remote actor %d: %w", id, forum.ErrGone)
	}
	return a, nil
}

type apiNewFollow struct {
	Actor string `json:"actor"`
}

// apiFollow: POST /api/v1/follows {"actor": "@name@host" | URL} -> 200 with the actor and the
// follow (state "pending" until the other server accepts). Following again changes nothing.
func (s *Server) apiFollow(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	var in apiNewFollow
	if err := readJSON(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	a, err := s.lookupRemote(ctx, v, "actor", in.Actor)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.followRemote(ctx, v, a); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.apiActorFor(ctx, v, a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// apiUnfollow: DELETE /api/v1/follows/{id} (a remote actor's id) -> 204. Unfollowing someone
// not followed is not an error.
func (s *Server) apiUnfollow(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	a, err := s.remoteActorParam(r)
	if err != nil && !errors.Is(err, forum.ErrGone) {
		s.fail(w, r, err)
		return
	}
	id := a.ID
	if id == 0 {
		id, _ = idParam(r, "id")
	}
	if err := s.forum.Unfollow(r.Context(), v, id); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiFollows: GET /api/v1/follows[?cursor=] -> the remote actors the caller follows, newest
// follow first, with each follow's state.
func (s *Server) apiFollows(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	before, err := idCursor(r, "cursor")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, next, err := s.forum.MemberFollows(r.Context(), v, before, 50)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := apiFollowList{Follows: []apiFollowEntry{}}
	for _, fa := range list {
		fo := forum.Follow{ID: fa.FollowID, State: fa.State, CreatedAt: fa.FollowedAt, AcceptedAt: fa.AcceptedAt}
		e := apiFollowEntry{Actor: s.apiActorOf(fa.Actor, fa.CategoryHandle, &fo)}
		e.apiFollowState = *e.Actor.Follow
		out.Follows = append(out.Follows, e)
	}
	if next > 0 {
		out.NextCursor = nextCursor(strconv.FormatInt(next, 10))
	}
	writeJSON(w, http.StatusOK, out)
}
