package federation

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"strings"

	"github.com/stoa-forum/stoa/forum"
)

// JRD is a WebFinger answer (RFC 7033).
type JRD struct {
	Subject string    `json:"subject"`
	Aliases []string  `json:"aliases,omitempty"`
	Links   []JRDLink `json:"links"`
}

// JRDLink is one link of a JRD.
type JRDLink struct {
	Rel  string `json:"rel"`
	Type string `json:"type,omitempty"`
	Href string `json:"href,omitempty"`
}

// WebFinger answers /.well-known/webfinger?resource=acct:name@host (or the actor's URL) for every
// local actor: members, categories, thread actors (thread-{id}) and the instance actor. The subject
// is always acct:{preferredUsername}@{host}, so Mastodon's check that the handle leads back to the
// same actor holds. It is public even under authorized fetch.
func (h *Handler) WebFinger(w http.ResponseWriter, r *http.Request) {
	resource := r.URL.Query().Get("resource")
	if resource == "" {
		writeJSON(w, http.StatusBadRequest, "application/json; charset=utf-8", map[string]string{"error": "resource is required"})
		return
	}
	ref, err := h.webfingerRef(r.Context(), resource)
	if err != nil {
		h.failPlain(w, r, err)
		return
	}
	a, err := h.publishedActor(r.Context(), ref)
	if err == nil && a.DeletedAt != nil {
		err = fmt.Errorf("%s: %w", resource, forum.ErrGone)
	}
	if err != nil {
		h.failPlain(w, r, err)
		return
	}
	ids, err := h.iris.Actor(a)
	if err != nil {
		h.failPlain(w, r, err)
		return
	}
	profile := h.profilePage(a, ids)
	jrd := JRD{
		Subject: "acct:" + a.Username + "@" + h.iris.Host(),
		Aliases: []string{ids.ID},
		Links: []JRDLink{
			{Rel: "self", Type: ActivityJSON, Href: ids.ID},
			{Rel: "http://webfinger.net/rel/profile-page", Type: "text/html", Href: profile},
		},
	}
	if profile != ids.ID {
		jrd.Aliases = append(jrd.Aliases, profile)
	}
	writeJSON(w, http.StatusOK, "application/jrd+json; charset=utf-8", jrd)
}

// publishedActor is localActor for WebFinger: the Group of a category guests may not see, and the
// actors of its threads, are not found, as unknown ones, like their documents (handler_actor.go).
func (h *Handler) publishedActor(ctx context.Context, ref Ref) (forum.Actor, error) {
	switch ref.Kind {
	case RefCategory:
		if _, err := h.forum.PublishedCategoryBySlug(ctx, ref.Name); err != nil {
			return forum.Actor{}, err
		}
	case RefThreadActor:
		ta, err := h.forum.PublishedThreadActor(ctx, ref.ID)
		return ta.Actor, err
	}
	return localActor(ctx, h.forum, ref, true)
}

// profilePage is the HTML page of an actor: the same URL as its id for members and categories,
// the thread page for a thread actor, the home page for the instance.
func (h *Handler) profilePage(a forum.Actor, ids ActorIRIs) string {
	switch a.Kind {
	case forum.ActorThread:
		if id, ok := forum.ThreadIDFromActorUsername(a.Username); ok {
			return h.iris.Thread(id)
		}
	case forum.ActorInstance:
		return h.iris.Base() + "/"
	}
	return ids.ID
}

var errBadResource = errors.New("resource is not an acct: URI or an actor URL of this server")

// webfingerRef maps a resource to the local actor it names, without loading it.
func (h *Handler) webfingerRef(ctx context.Context, resource string) (Ref, error) {
	if strings.HasPrefix(resource, "https://") || strings.HasPrefix(resource, "http://") {
		ref, ok := h.iris.Parse(resource)
		if ok && ref.Kind == RefThread && ref.Collection == "" && !ref.Key {
			// The thread's address (its page, and its context collection's id), which the
			// thread actor's JRD lists among its aliases: what someone pastes to follow it.
			return Ref{Kind: RefThreadActor, ID: ref.ID}, nil
		}
		if !ok || ref.Collection != "" || ref.Key || actorCollections[ref.Kind] == nil {
			return Ref{}, fmt.Errorf("%s: %w", resource, forum.ErrNotFound)
		}
		return ref, nil
	}
	// acct: is optional, as for Mastodon: some clients send a bare name@host.
	acct := strings.TrimPrefix(resource, "acct:")
	acct = strings.TrimPrefix(acct, "@")
	user, host, ok := strings.Cut(acct, "@")
	if !ok || user == "" || strings.Contains(host, "@") {
		return Ref{}, forum.Invalid("resource", "%v", errBadResource)
	}
	canon, err := CanonicalHost(host)
	if err != nil || !sameHost(canon, h.iris.Host()) {
		return Ref{}, fmt.Errorf("%q is not this server: %w", clip(host), forum.ErrNotFound)
	}
	user = strings.ToLower(user)
	switch {
	case user == forum.InstanceActorUsername:
		return Ref{Kind: RefInstance}, nil
	case strings.HasPrefix(user, "thread-"):
		id, ok := forum.ThreadIDFromActorUsername(user)
		if !ok {
			return Ref{}, fmt.Errorf("%s: %w", user, forum.ErrNotFound)
		}
		return Ref{Kind: RefThreadActor, ID: id}, nil
	case validHandle(user):
		// Members and categories share one namespace; the stored kind decides.
		a, err := h.forum.LocalActorByUsername(ctx, user)
		if err != nil {
			return Ref{}, err
		}
		switch a.Kind {
		case forum.ActorPerson:
			return Ref{Kind: RefMember, Name: a.Username}, nil
		case forum.ActorGroup:
			return Ref{Kind: RefCategory, Name: a.Username}, nil
		}
	}
	return Ref{}, fmt.Errorf("%s: %w", user, forum.ErrNotFound)
}

// HostMeta answers /.well-known/host-meta (XRD) with the WebFinger template, for older clients.
func (h *Handler) HostMeta(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Type", "application/xrd+xml; charset=utf-8")
	hd.Set("Access-Control-Allow-Origin", "*")
	hd.Set("Cache-Control", "public, max-age=3600")
	_, _ = fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">
  <Link rel="lrdd" template="%s/.well-known/webfinger?resource={uri}"/>
</XRD>
`, html.EscapeString(h.iris.Base()))
}
