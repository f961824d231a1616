package federation

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strings"

	"github.com/stoa-forum/stoa/forum"
)

// ErrHandleMismatch means WebFinger named an actor whose preferredUsername is not the handle asked
// for: the round trip Mastodon checks (a server may not claim another's accounts) does not hold.
var ErrHandleMismatch = errors.New("WebFinger answer does not lead back to the handle")

// WebFinger asks a remote server which actor a handle (user@host) names, and returns the actor's
// id: the href of the JRD's rel="self" link of an ActivityStreams type.
func (f *Fetcher) WebFinger(ctx context.Context, username, host string) (string, error) {
	canon, err := CanonicalHost(host)
	if err != nil {
		return "", err
	}
	resource := "acct:" + username + "@" + canon
	var jrd JRD
	if err := f.getJSON(ctx, f.siteURL(canon, "/.well-known/webfinger?resource="+url.QueryEscape(resource)),
		"application/jrd+json, application/json", &jrd); err != nil {
		return "", fmt.Errorf("WebFinger %s: %w", resource, err)
	}
	for _, l := range jrd.Links {
		if l.Rel != "self" || l.Href == "" {
			continue
		}
		mt, params, err := mime.ParseMediaType(l.Type)
		if err == nil && (mt == ActivityJSON || (mt == "application/ld+json" && hasASProfile(params["profile"]))) {
			return l.Href, nil
		}
	}
	return "", fmt.Errorf("WebFinger %s: no ActivityStreams self link: %w", resource, forum.ErrNotFound)
}

// ResolveHandle returns the remote actor a handle names: from the cache of stored actors when it
// is there, else through WebFinger and a fetch of the actor from its origin. The actor's
// preferredUsername must be the handle's username (compared without case), or ErrHandleMismatch.
// Fetches count against the context's fetch budget.
func (a *Actors) ResolveHandle(ctx context.Context, username, host string) (forum.Actor, error) {
	canon, err := CanonicalHost(host)
	if err != nil {
		return forum.Actor{}, err
	}
	if strings.EqualFold(canon, a.iris.Host()) {
		// A thread's actor is made when first asked for (its handle is in every thread's API
		// object and on its page): through its IRI, which makes it, as WebFinger does.
		if id, ok := forum.ThreadIDFromActorUsername(strings.ToLower(username)); ok {
			return a.Resolve(ctx, a.iris.ThreadActor(id))
		}
		return a.forum.LocalActorByUsername(ctx, username)
	}
	if a.policy.Blocked(ctx, Origin("https://"+canon).Hostname()) {
		return forum.Actor{}, fmt.Errorf("%w: %s: %w", ErrBlockedDomain, canon, forum.ErrForbidden)
	}
	stored, err := a.forum.RemoteActorByHandle(ctx, username, canon)
	if err == nil {
		a.refreshIfStale(ctx, stored)
		return stored, nil
	}
	if !errors.Is(err, forum.ErrNotFound) {
		return forum.Actor{}, err
	}
	id, err := a.fetcher.WebFinger(ctx, username, canon)
	if err != nil {
		return forum.Actor{}, err
	}
	actor, err := a.Resolve(ctx, id)
	if err != nil {
		return forum.Actor{}, err
	}
	if !strings.EqualFold(actor.Username, username) {
		return forum.Actor{}, fmt.Errorf("%w: %s@%s names %s", ErrHandleMismatch, username, canon, actor.APID)
	}
	if !strings.EqualFold(actor.Domain, canon) {
		// A server may answer WebFinger for accounts hosted elsewhere (example.com for
		// social.example.com), but only if the actor's own server agrees: its WebFinger must give
		// the same actor back, as Mastodon requires. Otherwise any server could make its handles
		// stand for anyone's account.
		back, err := a.fetcher.WebFinger(ctx, actor.Username, actor.Domain)
		if err != nil || back != actor.APID {
			return forum.Actor{}, fmt.Errorf("%w: %s@%s names %s, whose own server does not say so", ErrHandleMismatch, username, canon, actor.APID)
		}
	}
	return actor, nil
}
