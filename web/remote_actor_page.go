package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/stoa-forum/stoa/forum"
)

// remoteActorView is the page of someone or something on another server, as stored here.
type remoteActorView struct {
	Actor       forum.Actor
	SummaryHTML string
	// Follow is the viewer's follow of the actor, nil when none.
	Follow *forum.Follow
	// Category is the mirror of a followed Group, nil when it has none; Threads its latest threads.
	Category *forum.Category
	Threads  forum.ThreadList
	Posts    []forum.MemberPost
	// Next is the URL of the next page of posts, or "".
	Next string
}

// remoteActorParamHandle reads the {handle} route parameter, name@host (the @ maybe escaped).
func remoteHandleParam(r *http.Request) (username, domain string, err error) {
	raw := chi.URLParam(r, "handle")
	if h, uerr := url.PathUnescape(raw); uerr == nil {
		raw = h
	}
	username, domain, ok := strings.Cut(raw, "@")
	if !ok || username == "" || domain == "" {
		return "", "", fmt.Errorf("actor %q: %w", raw, forum.ErrNotFound)
	}
	return username, domain, nil
}

// storedRemoteActor loads the remote actor a page names. Pages never fetch: an actor becomes known
// here through a lookup or federation, and the page shows what is stored.
func (s *Server) storedRemoteActor(r *http.Request) (forum.Actor, error) {
	username, domain, err := remoteHandleParam(r)
	if err != nil {
		return forum.Actor{}, err
	}
	a, err := s.forum.RemoteActorByHandle(r.Context(), username, domain)
	if err != nil {
		return forum.Actor{}, err
	}
	if a.SuspendedAt != nil {
		return forum.Actor{}, fmt.Errorf("actor %s: %w", a.APID, forum.ErrNotFound)
	}
	return a, nil
}

// remoteActorPage is /u/{name}@{host}: the remote actor, the viewer's follow of it, and what it
// wrote that is stored here.
func (s *Server) remoteActorPage(w http.ResponseWriter, r *http.Request) {
	ctx, v := r.Context(), viewerOf(r)
	if username, domain, err := remoteHandleParam(r); err == nil {
		if name, ok := s.ownHandle(username + "@" + domain); ok {
			// This forum's own member by their full handle.
			http.Redirect(w, r, "/u/"+url.PathEscape(name), http.StatusMovedPermanently)
			return
		}
	}
	a, err := s.storedRemoteActor(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	before, err := forum.ParseMemberActivityCursor(r.URL.Query().Get("before"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view := remoteActorView{Actor: a, SummaryHTML: s.forum.ActorSummaryHTML(a)}
	if v.SignedIn() {
		fo, err := s.forum.FollowBetween(ctx, v.ActorID, a.ID)
		switch {
		case err == nil:
			view.Follow = &fo
		case !errors.Is(err, forum.ErrNotFound):
			s.fail(w, r, err)
			return
		}
	}
	if a.Kind == forum.ActorGroup {
		c, err := s.forum.RemoteCategoryByActor(ctx, a.ID)
		switch {
		case err == nil:
			view.Category = &c
			if view.Threads, err = s.forum.CategoryThreads(ctx, v, c, "", 0); err != nil {
				s.fail(w, r, err)
				return
			}
		case !errors.Is(err, forum.ErrNotFound):
			s.fail(w, r, err)
			return
		}
	}
	var next forum.MemberActivityCursor
	view.Posts, next, err = s.forum.RemoteActorPosts(ctx, v, a.ID, before, forum.DefaultMemberActivityLimit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !next.IsZero() {
		view.Next = actorPagePath(a) + "?before=" + url.QueryEscape(next.String())
	}
	s.render(w, r, http.StatusOK, remoteActorPage(s.page(r, a.Name()), view))
}

// remoteFollow is POST /u/{name}@{host}/follow: follow the actor, then back to where the form was.
func (s *Server) remoteFollow(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	a, err := s.storedRemoteActor(r)
	if err == nil {
		err = parseForm(w, r, maxFormBytes)
	}
	if err == nil {
		_, err = s.followRemote(r.Context(), v, a)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, backTo(r, actorPagePath(a)))
}

// remoteUnfollow is POST /u/{name}@{host}/unfollow: stop following (or cancel a pending request).
func (s *Server) remoteUnfollow(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	a, err := s.storedRemoteActor(r)
	if err == nil {
		err = parseForm(w, r, maxFormBytes)
	}
	if err == nil {
		err = s.forum.Unfollow(r.Context(), v, a.ID)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, backTo(r, actorPagePath(a)))
}

// moreThreads links the rest of a mirrored Group's threads: its category page.
func moreThreads(v remoteActorView) string {
	if v.Category == nil || v.Threads.Next == "" {
		return ""
	}
	return withCursor(categoryPath(v.Category.Handle()), v.Threads.Next)
}
