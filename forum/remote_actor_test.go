package forum_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func remoteAlice() forum.RemoteActor {
	return forum.RemoteActor{
		APID: "https://social.example/users/alice", Kind: forum.ActorPerson, Username: "Alice", Domain: "social.example",
		DisplayName: "Alice \u0007Liddell", SummaryHTML: "<p>hi</p>", URL: "https://social.example/@alice",
		AvatarURL: "javascript:alert(1)", InboxURL: "https://social.example/users/alice/inbox",
		SharedInboxURL: "https://social.example/inbox", OutboxURL: "https://social.example/users/alice/outbox",
		FollowersURL: "https://social.example/users/alice/followers", PublicKeyID: "https://social.example/users/alice#main-key",
		PublicKeyPEM: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", Discoverable: true,
		AlsoKnownAs: []string{"https://old.example/users/alice", "ftp://nope"},
	}
}

func TestUpsertRemoteActorStoresAndReplaces(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	a, err := f.UpsertRemoteActor(ctx, remoteAlice())
	if err != nil {
		t.Fatal(err)
	}
	if a.Local() || a.Domain != "social.example" || a.APID != "https://social.example/users/alice" || a.Username != "Alice" {
		t.Fatalf("stored %+v", a)
	}
	if a.DisplayName != "Alice Liddell" {
		t.Errorf("display name %q: control characters must be dropped", a.DisplayName)
	}
	if a.AvatarURL != "" {
		t.Errorf("avatar %q: a javascript: URL must not be stored", a.AvatarURL)
	}
	if strings.Join(a.AlsoKnownAs, ",") != "https://old.example/users/alice" {
		t.Errorf("alsoKnownAs %v", a.AlsoKnownAs)
	}
	if a.FetchedAt == nil {
		t.Error("fetched_at not set")
	}
	// The plain-text fallback markup escapes remote HTML: it is sanitised before it is stored.
	if a.SummaryHTML != "<p>&lt;p&gt;hi&lt;/p&gt;</p>" {
		t.Errorf("summary stored unsanitised: %q", a.SummaryHTML)
	}

	// A fetch from the origin may rotate the key.
	in := remoteAlice()
	in.PublicKeyPEM = "-----BEGIN PUBLIC KEY-----\nBBBB\n-----END PUBLIC KEY-----\n"
	in.DisplayName = "Alice"
	b, err := f.UpsertRemoteActor(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if b.ID != a.ID || b.PublicKeyPEM != in.PublicKeyPEM || b.DisplayName != "Alice" {
		t.Fatalf("after refetch: %+v", b)
	}
	byKey, err := f.ActorByKeyID(ctx, in.PublicKeyID)
	if err != nil || byKey.ID != a.ID {
		t.Fatalf("ActorByKeyID: %d, %v", byKey.ID, err)
	}
}

// SECURITY.md rule 5: a pushed Update never replaces the key (nor the inbox).
func TestRule05PushedUpdateNeverReplacesTheKey(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	orig, err := f.UpsertRemoteActor(ctx, remoteAlice())
	if err != nil {
		t.Fatal(err)
	}
	pushed := remoteAlice()
	pushed.DisplayName = "Mallory"
	pushed.PublicKeyPEM = "-----BEGIN PUBLIC KEY-----\nEVIL\n-----END PUBLIC KEY-----\n"
	pushed.InboxURL = "https://social.example/evil-inbox"
	pushed.SharedInboxURL = "https://social.example/evil-shared"
	got, err := f.UpdateRemoteActorProfile(ctx, pushed)
	if err != nil {
		t.Fatal(err)
	}
	if got.DisplayName != "Mallory" {
		t.Errorf("profile not updated: %q", got.DisplayName)
	}
	if got.PublicKeyPEM != orig.PublicKeyPEM || got.PublicKeyID != orig.PublicKeyID {
		t.Errorf("pushed Update replaced the key: %q", got.PublicKeyPEM)
	}
	if got.InboxURL != orig.InboxURL || got.SharedInboxURL != orig.SharedInboxURL {
		t.Errorf("pushed Update diverted the inbox to %q / %q", got.InboxURL, got.SharedInboxURL)
	}
	if !got.FetchedAt.Equal(*orig.FetchedAt) {
		t.Errorf("pushed Update marked the actor fresh")
	}
	unknown := remoteAlice()
	unknown.APID = "https://social.example/users/nobody"
	if _, err := f.UpdateRemoteActorProfile(ctx, unknown); !errors.Is(err, forum.ErrNotFound) {
		t.Fatalf("Update of an unknown actor: %v, want ErrNotFound", err)
	}
}

// SECURITY.md rule 2: id, key, inbox, outbox and collections share the actor's origin.
func TestRule02RemoteActorEndpointsShareItsOrigin(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	cases := []struct {
		field string
		edit  func(*forum.RemoteActor)
	}{
		{"publicKey.id", func(a *forum.RemoteActor) { a.PublicKeyID = "https://other.example/users/alice#main-key" }},
		{"inbox", func(a *forum.RemoteActor) { a.InboxURL = "https://victim.example/inbox" }},
		{"inbox", func(a *forum.RemoteActor) { a.InboxURL = "http://social.example/users/alice/inbox" }},
		{"inbox", func(a *forum.RemoteActor) { a.InboxURL = "https://social.example:8443/users/alice/inbox" }},
		{"outbox", func(a *forum.RemoteActor) { a.OutboxURL = "https://other.example/outbox" }},
		{"followers", func(a *forum.RemoteActor) { a.FollowersURL = "https://other.example/followers" }},
		{"endpoints.sharedInbox", func(a *forum.RemoteActor) { a.SharedInboxURL = "https://victim.example/inbox" }},
		{"domain", func(a *forum.RemoteActor) { a.Domain = "" }},
		{"domain", func(a *forum.RemoteActor) { a.Domain = "other.example" }},
		{"id", func(a *forum.RemoteActor) { a.APID = "social.example/users/alice" }},
		{"type", func(a *forum.RemoteActor) { a.Kind = forum.ActorThread }},
		{"preferredUsername", func(a *forum.RemoteActor) { a.Username = "alice@evil.example" }},
		{"summary", func(a *forum.RemoteActor) { a.SummaryHTML = strings.Repeat("x", 65<<10) }},
	}
	for _, c := range cases {
		in := remoteAlice()
		c.edit(&in)
		_, err := f.UpsertRemoteActor(ctx, in)
		var ve *forum.ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: got %v, want a validation error", c.field, err)
			continue
		}
		found := false
		for _, p := range ve.Problems {
			found = found || p.Field == c.field
		}
		if !found {
			t.Errorf("%s: problems %v do not name the field", c.field, ve.Problems)
		}
	}
	// An explicit default port is the same origin.
	in := remoteAlice()
	in.InboxURL = "https://social.example:443/users/alice/inbox"
	if _, err := f.UpsertRemoteActor(ctx, in); err != nil {
		t.Fatalf("default port: %v", err)
	}
}

// SECURITY.md rule 1 in the store: a key id under one actor's id cannot be claimed by another actor
// of the same origin; a key at a separate URL moves to whichever actor its origin now lists it in.
func TestKeyIDOwnership(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	alice, err := f.UpsertRemoteActor(ctx, remoteAlice())
	if err != nil {
		t.Fatal(err)
	}
	other := remoteAlice()
	other.APID, other.Username = "https://social.example/users/mallory", "mallory"
	other.InboxURL = "https://social.example/users/mallory/inbox"
	if _, err := f.UpsertRemoteActor(ctx, other); !errors.Is(err, forum.ErrConflict) {
		t.Fatalf("claiming alice's key id: %v, want ErrConflict", err)
	}
	if got, err := f.ActorByKeyID(ctx, alice.PublicKeyID); err != nil || got.ID != alice.ID {
		t.Fatalf("alice's key now belongs to %d (%v)", got.ID, err)
	}

	neutral := "https://social.example/keys/42"
	a := remoteAlice()
	a.APID, a.Username, a.InboxURL, a.PublicKeyID = "https://social.example/users/a", "a", "https://social.example/users/a/inbox", neutral
	b := a
	b.APID, b.Username, b.InboxURL = "https://social.example/users/b", "b", "https://social.example/users/b/inbox"
	if _, err := f.UpsertRemoteActor(ctx, a); err != nil {
		t.Fatal(err)
	}
	stored, err := f.UpsertRemoteActor(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := f.ActorByKeyID(ctx, neutral); err != nil || got.ID != stored.ID {
		t.Fatalf("neutral key id owner %d (%v), want the latest document's actor %d", got.ID, err, stored.ID)
	}
}

func TestClaimActorFetchIsRateLimited(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	ok, err := f.ClaimActorFetch(ctx, "https://social.example/users/unknown", 5*time.Minute)
	if err != nil || !ok {
		t.Fatalf("unknown actor: %v, %v; want a claim", ok, err)
	}
	a, err := f.UpsertRemoteActor(ctx, remoteAlice())
	if err != nil {
		t.Fatal(err)
	}
	// Just fetched: no refetch within the interval.
	if ok, err := f.ClaimActorFetch(ctx, a.APID, 5*time.Minute); err != nil || ok {
		t.Fatalf("right after a fetch: %v, %v; want no claim", ok, err)
	}
	// With a zero interval the claim succeeds, and then blocks the next one for the interval.
	if ok, err := f.ClaimActorFetch(ctx, a.APID, 0); err != nil || !ok {
		t.Fatalf("zero interval: %v, %v", ok, err)
	}
	if ok, err := f.ClaimActorFetch(ctx, a.APID, time.Minute); err != nil || ok {
		t.Fatalf("second claim: %v, %v; want none", ok, err)
	}
}

type recordingJobs struct{ args []forum.JobArgs }

func (r *recordingJobs) InsertTx(_ context.Context, _ pgx.Tx, args forum.JobArgs) error {
	r.args = append(r.args, args)
	return nil
}

func TestRequestActorRefreshQueuesOneJobPerInterval(t *testing.T) {
	t.Parallel()
	jobs := &recordingJobs{}
	f, pool := forumtest.New(t, forum.Options{Jobs: jobs})
	ctx := context.Background()
	a, err := f.UpsertRemoteActor(ctx, remoteAlice())
	if err != nil {
		t.Fatal(err)
	}
	// Fetched just now: a refresh within the hour is not queued.
	if err := f.RequestActorRefresh(ctx, a.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	if len(jobs.args) != 0 {
		t.Fatalf("queued %v right after a fetch", jobs.args)
	}
	if _, err := pool.Exec(ctx, `UPDATE actors SET fetch_attempted_at = now() - interval '2 hours' WHERE id = $1`, a.ID); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := f.RequestActorRefresh(ctx, a.ID, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if len(jobs.args) != 1 || jobs.args[0].(forum.RefreshRemoteActorArgs).ActorID != a.ID {
		t.Fatalf("jobs %v, want one refresh of %d", jobs.args, a.ID)
	}
}

func TestMarkRemoteActorGone(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	a, err := f.UpsertRemoteActor(ctx, remoteAlice())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.MarkRemoteActorGone(ctx, a.APID); err != nil {
		t.Fatal(err)
	}
	got, err := f.ActorByID(ctx, a.ID)
	if err != nil || got.DeletedAt == nil {
		t.Fatalf("after 410: %+v, %v", got, err)
	}
	// A pushed Update cannot revive it; a fetch from the origin can.
	if _, err := f.UpdateRemoteActorProfile(ctx, remoteAlice()); !errors.Is(err, forum.ErrNotFound) {
		t.Fatalf("Update of a gone actor: %v", err)
	}
	back, err := f.UpsertRemoteActor(ctx, remoteAlice())
	if err != nil || back.DeletedAt != nil {
		t.Fatalf("refetched: %+v, %v", back, err)
	}
}
