package inbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/httperr"
)

// Paths are the inboxes every actor advertises, as chi patterns: the shared one and each kind of
// personal one. cmd/stoa mounts ServeHTTP on them for POST, ahead of the pages that answer GETs.
var Paths = []string{"/inbox", "/actor/inbox", "/u/{name}/inbox", "/c/{slug}/inbox", "/t/{id}/actor/inbox"}

// MaxBodyBytes caps an inbox request's body (SECURITY.md rule 16): real activities are a few
// kilobytes; the largest (an Article with its content) stay far below.
const MaxBodyBytes = 1 << 20

// bodyReadTimeout bounds the time a peer has to send an activity's body, from when its headers
// were read: a few kilobytes, which a healthy peer sends at once. The server's own ReadTimeout is
// longer, for the forms of the web pages.
const bodyReadTimeout = 10 * time.Second

// readBody reads an inbox request's body, at most MaxBodyBytes and within bodyReadTimeout.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	// Not every connection can take a deadline (a test's recorder cannot): then the server's
	// ReadTimeout is the bound.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyReadTimeout))
	return io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
}

// ServeHTTP receives an activity POSTed to any of this instance's inboxes: the shared inbox and
// the personal inboxes of members, categories, thread actors and the instance actor. In order,
// each step cheaper than the next: find the inbox, read who claims to sign, read and cap the body,
// apply the domain's rate limit, take a concurrency slot, decode the envelope, ask the domain
// policy about every host named (before any key fetch), answer a Delete from an unknown actor at
// once, verify the signature and the origin rules, then record the activity and queue its apply
// job in one transaction and answer 202. Nothing of the forum changes here: the apply job does that.
func (ib *Inbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		ib.refuse(w, r, "method", fmt.Errorf("%s on an inbox: %w", r.Method, errMethod))
		return
	}
	inbox, err := ib.target(r)
	if err != nil {
		ib.refuse(w, r, "not_found", err)
		return
	}
	keyID, signerHost, err := claimedSigner(r)
	if err != nil {
		ib.refuse(w, r, "unsigned", err)
		return
	}
	// The body is read before the domain's in-flight count and a concurrency slot are taken: a
	// client that sends the headers and then trickles the body (any client can claim any keyId
	// before it is verified) holds neither, so it cannot make the inbox busy for every peer, or
	// for the peer it names (SECURITY.md rule 17).
	body, err := readBody(w, r)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			ib.refuse(w, r, "too_large", err)
			return
		}
		ib.refuse(w, r, "bad_body", fmt.Errorf("read body: %v: %w", err, errMalformed))
		return
	}
	client := ib.o.ClientIP(r)
	ok, wait := ib.limits.admit(signerHost, client)
	if !ok {
		ib.tooMany(w, r, signerHost, wait)
		return
	}
	verified := false
	defer func() { ib.limits.done(signerHost, client, verified) }()

	acquired, err := ib.acquire(r.Context())
	if err != nil {
		w.Header().Set("Retry-After", "5")
		ib.refuse(w, r, "busy", err)
		return
	}
	// Freed on return, or earlier, once the recorder has the activity (record).
	var releaseOnce sync.Once
	release := func() { releaseOnce.Do(acquired) }
	defer release()

	act, err := federation.DecodeActivity(body)
	if err != nil {
		ib.refuse(w, r, "malformed", fmt.Errorf("%v: %w", err, errMalformed))
		return
	}
	log := ib.log.With("activity", act.ID, "type", act.Type, "actor", act.Actor, "signer", keyID)
	if !act.Supported {
		// Reactions, views, poll votes...: nothing Stoa does anything with. Answering 202
		// keeps the peer from retrying; nothing is verified, stored or fetched.
		log.DebugContext(r.Context(), "inbox: ignoring unsupported activity type")
		ib.accepted(w, "unsupported")
		return
	}
	blockedObject, err := ib.checkHosts(r.Context(), signerHost, act)
	if err != nil {
		ib.refuse(w, r, "blocked", err)
		return
	}
	if blockedObject != "" {
		log.InfoContext(r.Context(), "inbox: dropping activity about a blocked domain", "host", blockedObject)
		ib.accepted(w, "blocked_object")
		return
	}
	if err := ib.checkLocal(act); err != nil {
		ib.refuse(w, r, "local", err)
		return
	}
	if act.Type == "Delete" {
		known, err := ib.knownSigner(r.Context(), keyID, act.Actor)
		if err != nil {
			ib.refuse(w, r, "error", err)
			return
		}
		if !known {
			// SECURITY.md rule 8: a Delete of (or by) an actor Stoa never stored is what servers
			// send when an account is deleted, to every server they ever talked to. There is
			// nothing here to delete, and fetching the key of a deleted actor would fail anyway.
			log.DebugContext(r.Context(), "inbox: Delete from an unknown actor")
			ib.accepted(w, "unknown_delete")
			return
		}
	}
	ctx := federation.WithFetchBudget(r.Context(), federation.DefaultFetchBudget)
	v, err := ib.fed.Verifier.Verify(ctx, r, body)
	if err != nil {
		log.InfoContext(r.Context(), "inbox: signature refused", "err", err)
		ib.refuse(w, r, "bad_signature", err)
		return
	}
	if err := checkOrigins(act, v); err != nil {
		log.InfoContext(r.Context(), "inbox: origin refused", "err", err)
		ib.refuse(w, r, "bad_origin", err)
		return
	}
	verified = true
	if ib.seen.due(signerHost) {
		if err := ib.forum.DomainSeen(r.Context(), v.Actor.Domain); err != nil {
			log.WarnContext(r.Context(), "inbox: could not clear the domain's unavailable mark", "err", err)
		}
	}
	fresh, err := ib.record(r.Context(), forum.InboundRecord{APID: act.ID, Type: act.Type, ActorAPID: act.Actor,
		ActorID: v.Actor.ID, Inbox: inbox, Payload: body}, release)
	if err != nil {
		if errors.Is(err, errNotRecorded) || errors.Is(err, errBusy) {
			// The group's transaction failed (or the inbox is shutting down): nothing of it
			// was kept, and the sender's retry will record it.
			w.Header().Set("Retry-After", "5")
		}
		ib.refuse(w, r, "error", err)
		return
	}
	if !fresh {
		log.DebugContext(r.Context(), "inbox: activity already recorded")
		ib.accepted(w, "duplicate")
		return
	}
	ib.accepted(w, "accepted")
}

var (
	errMethod    = errors.New("inboxes take POST only")
	errMalformed = errors.New("not a usable ActivityStreams activity")
	errBusy      = errors.New("the inbox is busy; try again shortly")
	// errNotRecorded is a group commit that failed (recorder.go): every activity of the group
	// is answered 503, and none of them is kept.
	errNotRecorded = errors.New("the activity could not be recorded; try again shortly")
)

// target checks that the request is for one of this instance's inboxes and returns its path.
func (ib *Inbox) target(r *http.Request) (string, error) {
	path := r.URL.EscapedPath()
	ref, ok := ib.iris.Parse(ib.iris.Base() + path)
	if !ok || (ref.Kind != federation.RefSharedInbox && ref.Collection != "inbox") {
		return "", fmt.Errorf("%s is not an inbox: %w", path, forum.ErrNotFound)
	}
	switch ref.Kind {
	case federation.RefMember, federation.RefCategory:
		// A personal inbox of an actor that does not exist is not an inbox.
		a, err := ib.forum.LocalActorByUsername(r.Context(), ref.Name)
		if err != nil {
			return "", err
		}
		if (ref.Kind == federation.RefMember) != (a.Kind == forum.ActorPerson) {
			return "", fmt.Errorf("%s is not an inbox: %w", path, forum.ErrNotFound)
		}
	}
	return path, nil
}

// acquire waits for one of the inbox's concurrency slots, for at most QueueWait.
func (ib *Inbox) acquire(ctx context.Context) (func(), error) {
	select {
	case ib.slots <- struct{}{}:
		return func() { <-ib.slots }, nil
	default:
	}
	t := time.NewTimer(ib.o.QueueWait)
	defer t.Stop()
	select {
	case ib.slots <- struct{}{}:
		return func() { <-ib.slots }, nil
	case <-t.C:
		return nil, errBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// knownSigner reports whether the key or the actor of a request is stored (and not gone): only
// then can a Delete mean anything here.
func (ib *Inbox) knownSigner(ctx context.Context, keyID, actorID string) (bool, error) {
	a, err := ib.forum.ActorByKeyID(ctx, keyID)
	if errors.Is(err, forum.ErrNotFound) {
		a, err = ib.forum.ActorByAPID(ctx, actorID)
	}
	switch {
	case errors.Is(err, forum.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return a.DeletedAt == nil && !a.Local(), nil
}

// accepted answers 202.
func (ib *Inbox) accepted(w http.ResponseWriter, result string) {
	ib.metrics.request(result)
	w.WriteHeader(http.StatusAccepted)
}

func (ib *Inbox) tooMany(w http.ResponseWriter, r *http.Request, host string, wait time.Duration) {
	secs := int(wait/time.Second) + 1
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	ib.log.DebugContext(r.Context(), "inbox: rate limited", "host", host, "retry_after", secs)
	ib.metrics.request("rate_limited")
	http.Error(w, "too many requests from "+host+"; retry later", http.StatusTooManyRequests)
}

// refuse answers an error with the status internal/httperr gives it, and a message that says why.
func (ib *Inbox) refuse(w http.ResponseWriter, r *http.Request, result string, err error) {
	ib.metrics.request(result)
	p := httperr.Of(err)
	msg := p.Message
	switch {
	case errors.Is(err, errMethod):
		p.Status, msg = http.StatusMethodNotAllowed, err.Error()
	case errors.Is(err, errMalformed):
		p.Status, msg = http.StatusBadRequest, err.Error()
	case errors.Is(err, errBusy):
		p.Status, msg = http.StatusServiceUnavailable, err.Error()
	case errors.Is(err, errNotRecorded):
		// The database's reason stays in the log; the sender only needs to retry.
		ib.log.WarnContext(r.Context(), "inbox: activity not recorded", "err", err)
		p.Status, msg = http.StatusServiceUnavailable, errNotRecorded.Error()
	case p.Status == http.StatusInternalServerError:
		ib.log.ErrorContext(r.Context(), "inbox: request failed", "err", err)
	case p.Status < 500:
		// The sender's mistake: tell them what it was (it is about their own request).
		msg = err.Error()
	}
	p.SetHeaders(w.Header())
	http.Error(w, msg, p.Status)
}
