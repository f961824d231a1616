package inbox

import (
	"context"
	"fmt"
	"html"
	"strings"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
)

// apply is one activity being applied: received directly (its actor signed the request) or
// relayed by a remote Group Stoa follows (via is set; the Group signed the Announce that carried
// it).
type apply struct {
	ib  *Inbox
	rec forum.InboundActivity
	act federation.Activity
	// actor is the activity's actor: verified by signature, or, for a relayed activity, vouched
	// for by the origin it was fetched from or by the Group's own origin.
	actor forum.Actor
	// via is the remote Group whose Announce carried the activity; nil when it came directly.
	via *forum.Actor
	// trusted is the origin whose word is good for embedded objects (SECURITY.md rule 3): the
	// signer's, for a direct activity; for a relayed one, the Group's, or the origin the inner
	// activity was fetched from.
	trusted federation.Origin
	// finishes says that storing the activity's post completes it (a Create received directly):
	// the post's transaction then marks the activity applied (forum.RemotePost.Finishes), and
	// finished records that it did, so the worker makes no transaction of its own for that.
	finishes, finished bool
}

// appliers map each activity type to its file's function.
var appliers map[string]func(context.Context, *apply) error

func init() {
	appliers = map[string]func(context.Context, *apply) error{
		"Follow": applyFollow, "Accept": applyAccept, "Reject": applyReject, "Undo": applyUndo,
		"Create": applyCreate, "Update": applyUpdate, "Delete": applyDelete,
		"Like": applyLike, "Dislike": applyDislike, "Announce": applyAnnounce, "Flag": applyFlag,
		"Block": applyBlock, "Move": applyMove, "Lock": applyLock, "Add": applyAdd, "Remove": applyRemove,
	}
}

func (a *apply) run(ctx context.Context) error {
	fn, ok := appliers[a.act.Type]
	if !ok {
		return ignore("Stoa does not handle %s activities", a.act.Type)
	}
	return fn(ctx, a)
}

// relayID is the received activity a local category may relay: only one that came directly
// (a relayed activity's own Group relays it).
func (a *apply) relayID() int64 {
	if a.via != nil {
		return 0
	}
	return a.rec.ID
}

// object is the activity's one object.
func (a *apply) object() (federation.ObjectRef, error) {
	o, ok := a.act.FirstObject()
	if !ok || o.ID == "" {
		return federation.ObjectRef{}, fmt.Errorf("%s needs exactly one object with an id: %w", a.act.Type, federation.ErrMalformed)
	}
	return o, nil
}

// origin is the origin of an id, "" when it has none.
func origin(id string) federation.Origin {
	o, err := federation.OriginOf(id)
	if err != nil {
		return ""
	}
	return o
}

// trustedCopy reports whether an embedded object may be used as sent: its id is on the origin
// whose word is good here. Anything else is fetched from its own origin (SECURITY.md rule 3).
func (a *apply) trustedCopy(ref federation.ObjectRef) bool {
	return ref.Embedded() && a.trusted != "" && origin(ref.ID) == a.trusted
}

// localRef parses a local IRI; ok is false for anything else.
func (a *apply) localRef(iri string) (federation.Ref, bool) {
	if !a.ib.iris.IsLocal(iri) {
		return federation.Ref{}, false
	}
	return a.ib.iris.Parse(iri)
}

// localPost finds the post a local or remote IRI names, without fetching anything.
func (a *apply) knownPost(ctx context.Context, iri string) (forum.PostPlace, error) {
	if a.ib.iris.IsLocal(iri) {
		ref, ok := a.ib.iris.Parse(iri)
		switch {
		case ok && ref.Kind == federation.RefPost:
			return a.ib.forum.PostPlaceByID(ctx, ref.ID)
		case ok && ref.Kind == federation.RefThread:
			id, err := a.ib.forum.ThreadOpenerID(ctx, ref.ID)
			if err != nil {
				return forum.PostPlace{}, err
			}
			return a.ib.forum.PostPlaceByID(ctx, id)
		}
		return forum.PostPlace{}, fmt.Errorf("%s is not a post here: %w", iri, forum.ErrNotFound)
	}
	return a.ib.forum.PostPlaceByAPID(ctx, iri)
}

// publicCollection is the ActivityStreams Public address in the spellings peers use.
var publicCollection = map[string]bool{
	"https://www.w3.org/ns/activitystreams#Public": true, "as:Public": true, "Public": true,
}

// public reports whether an object is addressed to everyone (to or cc: unlisted counts). Forum
// threads are public, so a followers-only or direct post is never stored: showing it here would
// publish what its author shared with a few.
func public(lists ...[]string) bool {
	for _, l := range lists {
		for _, to := range l {
			if publicCollection[to] {
				return true
			}
		}
	}
	return false
}

// localMentions are the usernames of the members here that a post's Mention tags name.
func (a *apply) localMentions(obj federation.Object) []string {
	var out []string
	for _, m := range obj.Mentions {
		if ref, ok := a.localRef(m.Href); ok && ref.Kind == federation.RefMember && ref.Collection == "" {
			out = append(out, ref.Name)
		}
	}
	return out
}

// postHTML is what a remote post shows: its HTML content (or its source as plain paragraphs when
// it has no HTML), then its attachments, which microblogs send beside the text rather than in it:
// images as images with their alt text, anything else as a link. It is sanitised when stored.
func postHTML(obj federation.Object) string {
	var b strings.Builder
	switch {
	case strings.TrimSpace(obj.Content) != "":
		b.WriteString(obj.Content)
	case obj.Source != nil && obj.Source.Content != "":
		for _, para := range strings.Split(strings.ReplaceAll(obj.Source.Content, "\r\n", "\n"), "\n\n") {
			if strings.TrimSpace(para) != "" {
				b.WriteString("<p>" + strings.ReplaceAll(html.EscapeString(para), "\n", "<br>") + "</p>")
			}
		}
	}
	for _, at := range obj.Attachments {
		if origin(at.URL) == "" {
			continue
		}
		u, name := html.EscapeString(at.URL), html.EscapeString(at.Name)
		image := strings.HasPrefix(at.MediaType, "image/") || (at.Type == "Image" && at.MediaType == "")
		if image {
			fmt.Fprintf(&b, `<p class="attachment"><img src="%s" alt="%s"></p>`, u, name)
			continue
		}
		label := name
		if label == "" {
			label = u
		}
		fmt.Fprintf(&b, `<p class="attachment"><a href="%s">%s</a></p>`, u, label)
	}
	return b.String()
}
