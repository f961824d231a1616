package inbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
)

// The checks the inbox makes on a request before it records anything, each named after the rule
// of SECURITY.md it enforces.

// claimedSigner reads the key id a request claims to be signed with, and its canonical host name,
// without verifying anything: the rate limit is charged to that host before the signature is
// checked. A request with no draft-cavage signature is refused here.
func claimedSigner(r *http.Request) (keyID, host string, err error) {
	sigs := r.Header.Values("Signature")
	switch {
	case len(sigs) == 0 && r.Header.Get("Signature-Input") != "":
		return "", "", fmt.Errorf("%w: RFC 9421 signatures are not supported yet; sign with draft-cavage",
			federation.ErrUnsigned)
	case len(sigs) == 0:
		return "", "", federation.ErrUnsigned
	}
	p, err := federation.ParseSignatureHeader(sigs[0])
	if err != nil {
		return "", "", fmt.Errorf("%w: %v: %w", federation.ErrBadSignature, err, forum.ErrUnauthorized)
	}
	host, err = federation.HostOf(p.KeyID)
	if err != nil {
		return "", "", fmt.Errorf("%w: keyId %q: %v: %w", federation.ErrBadSignature, p.KeyID, err, forum.ErrUnauthorized)
	}
	return p.KeyID, host, nil
}

// checkHosts asks the domain policy about every host the activity names, before any key is looked
// up or fetched (SECURITY.md rule 9; the policy covers subdomains, hosts are canonical). A blocked
// signer or actor refuses the request (403); a blocked host among the objects drops the activity
// (its host is returned, and the inbox answers 202 without storing anything): the sender may be a
// Group relaying someone it does not know we block, and retrying would not change our answer.
func (ib *Inbox) checkHosts(ctx context.Context, signerHost string, act federation.Activity) (blockedObject string, err error) {
	if ib.policy.Blocked(ctx, signerHost) {
		return "", fmt.Errorf("%w: signer %s: %w", federation.ErrBlockedDomain, signerHost, forum.ErrForbidden)
	}
	actorHost, err := federation.HostOf(act.Actor)
	if err != nil {
		return "", fmt.Errorf("actor %q: %v: %w", act.Actor, err, errMalformed)
	}
	if ib.policy.Blocked(ctx, actorHost) {
		return "", fmt.Errorf("%w: actor %s: %w", federation.ErrBlockedDomain, actorHost, forum.ErrForbidden)
	}
	for _, id := range namedIDs(act) {
		host, err := federation.HostOf(id)
		if err != nil {
			continue // not an http(s) id: nothing that could be fetched
		}
		if ib.policy.Blocked(ctx, host) {
			return host, nil
		}
	}
	return "", nil
}

// namedIDs lists the ids of the activity's objects, target and origin, and, for embedded objects,
// the ids, actors and authors they name in turn (an Announce of a Create of a Note names three
// parties), down to the depth that real activities nest.
func namedIDs(act federation.Activity) []string {
	var ids []string
	refs := append([]federation.ObjectRef{}, act.Object...)
	if act.Target != nil {
		refs = append(refs, *act.Target)
	}
	if act.Origin != nil {
		refs = append(refs, *act.Origin)
	}
	for _, o := range refs {
		if o.ID != "" {
			ids = append(ids, o.ID)
		}
		if o.Embedded() {
			ids = append(ids, embeddedIDs(o.Raw, 3)...)
		}
	}
	return ids
}

// embeddedIDs reads actor, attributedTo, inReplyTo and object (as ids or embedded objects) from an
// embedded object, recursing into embedded objects up to depth.
func embeddedIDs(raw json.RawMessage, depth int) []string {
	if depth == 0 {
		return nil
	}
	var o struct {
		Actor        json.RawMessage `json:"actor"`
		AttributedTo json.RawMessage `json:"attributedTo"`
		InReplyTo    json.RawMessage `json:"inReplyTo"`
		Object       json.RawMessage `json:"object"`
	}
	if json.Unmarshal(raw, &o) != nil {
		return nil
	}
	var ids []string
	for _, v := range []json.RawMessage{o.Actor, o.AttributedTo, o.InReplyTo, o.Object} {
		v = bytes.TrimSpace(v)
		if len(v) == 0 {
			continue
		}
		switch v[0] {
		case '"':
			var s string
			if json.Unmarshal(v, &s) == nil && s != "" {
				ids = append(ids, s)
			}
		case '{':
			var id struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(v, &id) == nil && id.ID != "" {
				ids = append(ids, id.ID)
			}
			ids = append(ids, embeddedIDs(v, depth-1)...)
		case '[':
			var items []json.RawMessage
			if json.Unmarshal(v, &items) == nil {
				for i, it := range items {
					if i >= federation.MaxObjectsInList {
						break
					}
					it = bytes.TrimSpace(it)
					if len(it) > 0 && it[0] == '"' {
						var s string
						if json.Unmarshal(it, &s) == nil {
							ids = append(ids, s)
						}
					}
				}
			}
		}
	}
	return ids
}

// checkLocal enforces SECURITY.md rule 6: nothing whose id is on this instance is ever ingested
// from the network. An activity claiming a local actor or a local id is a replay of our own
// deliveries or a forgery; a Create, Update or Announce carrying an object with a local id embeds
// what only this instance may say. (Activities naming local objects by IRI, a Like of a local
// post, a Follow of a local category, are what inboxes are for.)
func (ib *Inbox) checkLocal(act federation.Activity) error {
	switch {
	case ib.iris.IsLocal(act.Actor):
		return fmt.Errorf("actor %s is on this instance: %w", act.Actor, forum.ErrForbidden)
	case ib.iris.IsLocal(act.ID):
		return fmt.Errorf("activity id %s is on this instance: %w", act.ID, forum.ErrForbidden)
	}
	if act.Type != "Create" && act.Type != "Update" && act.Type != "Announce" {
		return nil
	}
	for _, o := range act.Object {
		if !o.Embedded() {
			continue
		}
		if ib.iris.IsLocal(o.ID) {
			return fmt.Errorf("embedded object %s is on this instance: %w", o.ID, forum.ErrForbidden)
		}
		if act.Type == "Announce" {
			// An Announce of a Create embeds the Create's object one level down.
			inner, err := federation.DecodeActivity(o.Raw)
			if err != nil {
				continue
			}
			for _, io := range inner.Object {
				if io.Embedded() && ib.iris.IsLocal(io.ID) {
					return fmt.Errorf("embedded object %s is on this instance: %w", io.ID, forum.ErrForbidden)
				}
			}
		}
	}
	return nil
}

// checkOrigins enforces SECURITY.md rules 1 and 2 once the signature verified: the key's owner
// (fetched from its own origin) must be the activity's actor, not merely someone on the same host,
// and the activity's id must be on its actor's origin (a server speaks only for its own actors).
func checkOrigins(act federation.Activity, v federation.Verified) error {
	if v.Owner != act.Actor {
		return fmt.Errorf("%w: the key %s belongs to %s, not to the activity's actor %s: %w",
			federation.ErrBadSignature, v.KeyID, v.Owner, act.Actor, forum.ErrUnauthorized)
	}
	if !federation.SameOrigin(act.ID, act.Actor) {
		return fmt.Errorf("activity %s is not on its actor's origin: %w", act.ID, forum.ErrForbidden)
	}
	if v.Actor.ID == 0 || v.Actor.Local() {
		return fmt.Errorf("signer %s is not a stored remote actor: %w", v.Owner, forum.ErrForbidden)
	}
	return nil
}

var errNoQueue = errors.New("inbox: no job queue client")
