package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/stoa-forum/stoa/forum"
)

// RemoteActors finds actors on other servers for the lookup box, the remote actor pages and the
// JSON API. web must not import federation, so cmd/stoa plugs in an implementation on top of
// federation's WebFinger client and actor cache through Options.Remote.
//
// Errors the implementation returns, which pages and the API show as they are: forum.ErrNotFound
// when the other server has no such actor, forum.ErrForbidden for a blocked domain,
// *forum.ValidationError for an address that may not be fetched, and forum.ErrUnavailable when
// the other server could not be reached or answered with something unusable.
type RemoteActors interface {
	// ResolveHandle returns the actor a handle names (WebFinger, then the actor document from its
	// origin), from the cache when it is there. A handle of this server gives the local actor.
	ResolveHandle(ctx context.Context, username, host string) (forum.Actor, error)
	// ResolveID returns the actor with this id (an http(s) URL), from the cache or its origin.
	ResolveID(ctx context.Context, iri string) (forum.Actor, error)
}

// maxLookupQuery bounds what may be typed into the lookup box: a handle or an actor's URL.
const maxLookupQuery = 2048

// remoteQuery is a parsed lookup: a handle (Username and Host) or an actor id (IRI).
type remoteQuery struct {
	Username, Host string
	IRI            string
}

// parseRemoteQuery reads what a member typed to find someone elsewhere: "@name@host",
// "name@host", "acct:name@host" or the URL of an actor (a profile or community address that
// serves its ActivityPub document). field names the input in the error.
func parseRemoteQuery(field, q string) (remoteQuery, error) {
	q = strings.TrimSpace(q)
	switch {
	case !isText(q):
		return remoteQuery{}, fmt.Errorf("%s: %w", field, forum.ErrNotText)
	case q == "":
		return remoteQuery{}, forum.Invalid(field, "type a handle such as @name@example.social, or paste an address")
	case len(q) > maxLookupQuery:
		return remoteQuery{}, forum.Invalid(field, "is longer than %d characters", maxLookupQuery)
	case strings.Contains(q, "://"):
		u, err := url.Parse(q)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return remoteQuery{}, forum.Invalid(field, "is not an http(s) address")
		}
		u.Fragment = ""
		return remoteQuery{IRI: u.String()}, nil
	}
	h := strings.TrimPrefix(strings.TrimPrefix(q, "acct:"), "@")
	name, host, ok := strings.Cut(h, "@")
	if !ok || name == "" || host == "" || strings.ContainsAny(name, "/ \t") || strings.ContainsAny(host, "@/ \t") {
		return remoteQuery{}, forum.Invalid(field, "%q is not a handle: write it as @name@host", q)
	}
	return remoteQuery{Username: name, Host: host}, nil
}

// lookupRemote resolves what a member typed to an actor: it counts against the member's lookup
// budget (each lookup may make this server fetch from another) and needs federation.
func (s *Server) lookupRemote(ctx context.Context, v forum.Viewer, field, q string) (forum.Actor, error) {
	rq, err := parseRemoteQuery(field, q)
	if err != nil {
		return forum.Actor{}, err
	}
	if s.remote == nil {
		return forum.Actor{}, fmt.Errorf("remote lookup without federation: %w", forum.ErrNotFound)
	}
	if err := s.forum.SpendRemoteLookup(ctx, v); err != nil {
		return forum.Actor{}, err
	}
	var a forum.Actor
	if rq.IRI != "" {
		a, err = s.remote.ResolveID(ctx, rq.IRI)
	} else {
		a, err = s.remote.ResolveHandle(ctx, rq.Username, rq.Host)
	}
	if err != nil {
		// The resolver names its own field; the member knows the box they typed into.
		var ve *forum.ValidationError
		if errors.As(err, &ve) {
			for i := range ve.Problems {
				ve.Problems[i].Field = field
			}
		}
		return forum.Actor{}, fmt.Errorf("look up %q: %w", q, err)
	}
	if a.DeletedAt != nil {
		return forum.Actor{}, fmt.Errorf("look up %q: %w", q, forum.ErrGone)
	}
	if a.SuspendedAt != nil || (a.Local() && a.Kind == forum.ActorInstance) {
		return forum.Actor{}, fmt.Errorf("look up %q: %w", q, forum.ErrNotFound)
	}
	// A handle of this server resolves to the local actor whatever v may see: a category or
	// thread hidden from v must look as unknown here as on its own page.
	if a.Local() {
		if err := s.forum.LocalActorVisible(ctx, v, a); err != nil {
			return forum.Actor{}, fmt.Errorf("look up %q: %w", q, err)
		}
	}
	return a, nil
}

// followRemote makes v follow a remote actor. Following a Group also makes its mirror here at
// once, so the member can open /c/slug@host (empty and marked pending) before the Accept arrives.
func (s *Server) followRemote(ctx context.Context, v forum.Viewer, a forum.Actor) (forum.Follow, error) {
	switch {
	case a.Local():
		return forum.Follow{}, forum.Invalid("actor", "%s is on this forum: watch it here instead of following it", a.Handle())
	case a.Kind == forum.ActorInstance:
		// A server's own actor publishes nothing to read; following it would only subscribe this
		// server to whatever relay traffic it sends.
		return forum.Follow{}, forum.Invalid("actor", "%s is a server, not a person or community", a.Handle())
	}
	fo, err := s.forum.FollowRemote(ctx, v, a.ID)
	if err != nil {
		return forum.Follow{}, err
	}
	if a.Kind == forum.ActorGroup {
		if _, err := s.forum.EnsureRemoteCategory(ctx, a.ID); err != nil {
			return forum.Follow{}, err
		}
	}
	return fo, nil
}

// actorPagePath is where an actor is shown here: a member's or category's page, a thread, or
// the remote actor page /u/name@host.
func actorPagePath(a forum.Actor) string {
	if !a.Local() {
		return "/u/" + url.PathEscape(a.Username) + "@" + a.Domain
	}
	switch a.Kind {
	case forum.ActorGroup:
		return categoryPath(a.Username)
	case forum.ActorThread:
		if id, ok := forum.ThreadIDFromActorUsername(a.Username); ok {
			return threadPath(id)
		}
	}
	return "/u/" + url.PathEscape(a.Username)
}

// safeAvatar is an avatar URL fit for an img src: a local path, or an http(s) URL. The forum
// keeps only http(s) URLs of remote avatars; this re-checks at the edge, since a src is where a
// javascript: or data: URL would do harm.
func safeAvatar(raw string) string {
	if strings.HasPrefix(raw, "/") && !strings.HasPrefix(raw, "//") && !strings.HasPrefix(raw, "/\\") {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return raw
}

// authorPagePath is an author's page here: /u/name for members, /u/name@host for others.
func authorPagePath(a forum.Author) string {
	if a.AuthorLocal() {
		return "/u/" + url.PathEscape(a.AuthorUsername)
	}
	return "/u/" + url.PathEscape(a.AuthorUsername) + "@" + a.AuthorDomain
}

// postOrigin is where a post from another server is shown on its own server: its url, else its
// id; "" for local posts and for posts withheld from the reader. Only http(s) links are given out.
func postOrigin(p forum.Post) string {
	if p.APID == "" || p.Withheld != forum.LimitNone { // a limited server's address is withheld too
		return ""
	}
	for _, u := range []string{p.URL, p.APID} {
		if pu, err := url.Parse(u); err == nil && (pu.Scheme == "https" || pu.Scheme == "http") && pu.Host != "" {
			return u
		}
	}
	return ""
}

// categoryHandleParam is the {slug} route parameter as a category handle: "slug" for a local
// category, "slug@host" for a remote one's mirror (a client may have escaped the @ as %40). A
// local category's own handle, slug@this host (the API's "handle" field), is its slug.
func (s *Server) categoryHandleParam(r *http.Request) string {
	h := chi.URLParam(r, "slug")
	if u, err := url.PathUnescape(h); err == nil {
		h = u
	}
	return s.localName(h)
}

// hostOf is the host of an absolute URL, for "on social.example" links.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Host
}

// actorKindLabel names an actor's kind for people.
func actorKindLabel(k forum.ActorKind) string {
	switch k {
	case forum.ActorGroup:
		return "Community"
	case forum.ActorPerson:
		return "Person"
	case forum.ActorService:
		return "Bot or thread"
	case forum.ActorOrganization:
		return "Organization"
	case forum.ActorInstance:
		return "Server"
	}
	return string(k)
}

// remoteProfileURL is where a remote actor is shown on its own server: its url, else its id, and
// only ever an http(s) address ("#" when neither is one).
func remoteProfileURL(a forum.Actor) string {
	for _, u := range []string{a.URL, a.APID} {
		if parsed, err := url.Parse(u); err == nil && (parsed.Scheme == "https" || parsed.Scheme == "http") {
			return u
		}
	}
	return "#"
}
