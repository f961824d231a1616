package forum

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// RemoteActor is an actor document from another server, already parsed and checked by package
// federation. Domain is the canonical host[:port] of APID. Optional URLs are empty when absent.
type RemoteActor struct {
	APID                      string
	Kind                      ActorKind
	Username                  string
	Domain                    string
	DisplayName               string
	SummaryHTML               string
	URL                       string
	AvatarURL                 string
	InboxURL                  string
	SharedInboxURL            string
	OutboxURL                 string
	FollowersURL              string
	FollowingURL              string
	FeaturedURL               string
	PublicKeyID               string
	PublicKeyPEM              string
	ManuallyApprovesFollowers bool
	Discoverable              bool
	AlsoKnownAs               []string
	MovedTo                   string
}

// Limits on what a remote actor may bring. Display names are cut (they are only shown); a summary
// beyond the limit refuses the document, since cutting HTML would change what it says.
const (
	maxRemoteDisplayName = 200
	maxRemoteSummary     = 64 << 10
	maxRemoteUsername    = 255
	maxRemoteURL         = 2048
	maxRemoteKeyPEM      = 16 << 10
	maxAlsoKnownAs       = 20
)

// remoteKinds are the kinds a remote actor can have; an ActivityStreams Application is the kind
// "instance" (Mastodon, Lemmy and Stoa itself use one as the server's own actor).
var remoteKinds = map[ActorKind]bool{ActorPerson: true, ActorGroup: true, ActorService: true,
	ActorOrganization: true, ActorInstance: true}

// validate checks a remote actor and normalises what it may: it is the last line before the row
// that decides whose key signs for whom, so the origin rules are enforced here too (SECURITY.md
// rule 2: id, key, inbox, outbox, collections and shared inbox share the actor's origin).
func (in *RemoteActor) validate(markup Markup) error {
	v := &ValidationError{}
	origin, err := urlOrigin(in.APID)
	if err != nil || len(in.APID) > maxRemoteURL || strings.Contains(in.APID, "#") {
		v.Add("id", "must be an absolute http(s) URL without fragment")
	} else if _, host, _ := strings.Cut(origin, "://"); in.Domain == "" || !strings.EqualFold(in.Domain, host) {
		v.Add("domain", "must be the host of the actor id (%s), got %q", host, in.Domain)
	}
	if !remoteKinds[in.Kind] {
		v.Add("type", "%q is not a kind of remote actor", in.Kind)
	}
	if in.Username == "" || len(in.Username) > maxRemoteUsername || strings.ContainsAny(in.Username, "@/ \t\r\n") ||
		!utf8.ValidString(in.Username) {
		v.Add("preferredUsername", "must be 1-%d characters without '@', '/' or spaces", maxRemoteUsername)
	}
	sameOrigin := func(field, value string, required bool) {
		switch {
		case value == "" && required:
			v.Add(field, "is required")
		case value == "":
		case len(value) > maxRemoteURL:
			v.Add(field, "is longer than %d characters", maxRemoteURL)
		default:
			if o, err := urlOrigin(value); err != nil || o != origin {
				v.Add(field, "must be on the actor's own origin %s", origin)
			}
		}
	}
	sameOrigin("inbox", in.InboxURL, true)
	sameOrigin("endpoints.sharedInbox", in.SharedInboxURL, false)
	sameOrigin("outbox", in.OutboxURL, false)
	sameOrigin("followers", in.FollowersURL, false)
	sameOrigin("following", in.FollowingURL, false)
	sameOrigin("featured", in.FeaturedURL, false)
	sameOrigin("publicKey.id", in.PublicKeyID, in.PublicKeyPEM != "")
	if in.PublicKeyID != "" && in.PublicKeyPEM == "" {
		v.Add("publicKey.publicKeyPem", "is required with publicKey.id")
	}
	if len(in.PublicKeyPEM) > maxRemoteKeyPEM {
		v.Add("publicKey.publicKeyPem", "is longer than %d bytes", maxRemoteKeyPEM)
	}
	if len(in.SummaryHTML) > maxRemoteSummary {
		v.Add("summary", "is longer than %d bytes", maxRemoteSummary)
	}
	if len(in.AlsoKnownAs) > maxAlsoKnownAs {
		v.Add("alsoKnownAs", "lists more than %d ids", maxAlsoKnownAs)
	}
	if err := v.Err(); err != nil {
		return err
	}
	in.DisplayName = plainDisplayName(in.DisplayName)
	if in.SummaryHTML != "" {
		in.SummaryHTML = markup.SanitizeHTML(in.SummaryHTML)
	}
	in.URL = httpURLOrEmpty(in.URL)
	in.AvatarURL = httpURLOrEmpty(in.AvatarURL)
	in.MovedTo = httpURLOrEmpty(in.MovedTo)
	aka := []string{}
	for _, a := range in.AlsoKnownAs {
		if u := httpURLOrEmpty(a); u != "" {
			aka = append(aka, u)
		}
	}
	in.AlsoKnownAs = aka
	return nil
}

// urlOrigin is scheme://host[:port] of an absolute http(s) URL, lower case, default port dropped.
// Package federation canonicalises hosts fully (IDNA); this is the domain's own cross-check.
func urlOrigin(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	host := strings.ToLower(u.Host)
	if u.Scheme == "https" {
		host = strings.TrimSuffix(host, ":443")
	} else {
		host = strings.TrimSuffix(host, ":80")
	}
	return u.Scheme + "://" + host, nil
}

func httpURLOrEmpty(raw string) string {
	if len(raw) > maxRemoteURL {
		return ""
	}
	if _, err := urlOrigin(raw); err != nil {
		return ""
	}
	return raw
}

// plainDisplayName drops control characters and cuts the name to a displayable length.
func plainDisplayName(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > maxRemoteDisplayName {
		s = string([]rune(s)[:maxRemoteDisplayName])
	}
	return s
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// UpsertRemoteActor stores an actor document fetched from its own origin: it creates the actor or
// replaces everything Stoa knows about it, public key included, and marks it fresh. Only a fetch
// from the origin may call this (SECURITY.md rule 5); a pushed Update goes to
// UpdateRemoteActorProfile. If another actor of the same origin claimed the same key id, that claim
// is settled by takeKeyID.
func (f *Forum) UpsertRemoteActor(ctx context.Context, in RemoteActor) (Actor, error) {
	if err := in.validate(f.markup); err != nil {
		return Actor{}, fmt.Errorf("remote actor %s: %w", in.APID, err)
	}
	var id int64
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO actors (kind, username, domain, ap_id, display_name, summary_html, url,
				avatar_url, inbox_url, shared_inbox_url, outbox_url, followers_url, following_url, featured_url,
				public_key_id, public_key_pem, manually_approves_followers, discoverable, also_known_as,
				moved_to_ap_id, fetched_at, fetch_attempted_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, now(), now())
			ON CONFLICT (ap_id) DO UPDATE SET kind = EXCLUDED.kind, username = EXCLUDED.username,
				domain = EXCLUDED.domain, display_name = EXCLUDED.display_name, summary_html = EXCLUDED.summary_html,
				url = EXCLUDED.url, avatar_url = EXCLUDED.avatar_url, inbox_url = EXCLUDED.inbox_url,
				shared_inbox_url = EXCLUDED.shared_inbox_url, outbox_url = EXCLUDED.outbox_url,
				followers_url = EXCLUDED.followers_url, following_url = EXCLUDED.following_url,
				featured_url = EXCLUDED.featured_url, public_key_id = EXCLUDED.public_key_id,
				public_key_pem = EXCLUDED.public_key_pem,
				manually_approves_followers = EXCLUDED.manually_approves_followers,
				discoverable = EXCLUDED.discoverable, also_known_as = EXCLUDED.also_known_as,
				moved_to_ap_id = EXCLUDED.moved_to_ap_id, fetched_at = now(), fetch_attempted_at = now(),
				deleted_at = NULL, updated_at = now()
			WHERE actors.domain IS NOT NULL
			RETURNING id`,
			in.Kind, in.Username, strings.ToLower(in.Domain), in.APID, in.DisplayName, in.SummaryHTML, nullIfEmpty(in.URL),
			nullIfEmpty(in.AvatarURL), in.InboxURL, nullIfEmpty(in.SharedInboxURL), nullIfEmpty(in.OutboxURL),
			nullIfEmpty(in.FollowersURL), nullIfEmpty(in.FollowingURL), nullIfEmpty(in.FeaturedURL),
			nullIfEmpty(in.PublicKeyID), nullIfEmpty(in.PublicKeyPEM), in.ManuallyApprovesFollowers, in.Discoverable,
			in.AlsoKnownAs, nullIfEmpty(in.MovedTo)).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%s names a local actor: %w", in.APID, ErrForbidden)
		}
		if err != nil {
			return err
		}
		if in.PublicKeyID == "" {
			return nil
		}
		return takeKeyID(ctx, tx, in, id)
	})
	if err != nil {
		return Actor{}, fmt.Errorf("store remote actor %s: %w", in.APID, err)
	}
	return f.ActorByID(ctx, id)
}

// takeKeyID settles who owns a key id that another stored actor also claims. A key id under an
// actor's own id ("<actor>#main-key", GoToSocial's "<actor>/main-key") is that actor's: another
// actor claiming it is refused, and a stale claim by anyone else is dropped. A key id elsewhere
// (a separate key URL) belongs to whichever actor its origin now publishes it in.
func takeKeyID(ctx context.Context, tx pgx.Tx, in RemoteActor, id int64) error {
	rows, err := tx.Query(ctx, `SELECT ap_id FROM actors WHERE public_key_id = $1 AND id <> $2`, in.PublicKeyID, id)
	if err != nil {
		return err
	}
	others, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	if len(others) == 0 {
		return nil
	}
	if !keyUnder(in.PublicKeyID, in.APID) {
		for _, o := range others {
			if keyUnder(in.PublicKeyID, o) {
				return fmt.Errorf("key %s belongs to %s, not %s: %w", in.PublicKeyID, o, in.APID, ErrConflict)
			}
		}
	}
	_, err = tx.Exec(ctx, `UPDATE actors SET public_key_id = NULL, public_key_pem = NULL
		WHERE public_key_id = $1 AND id <> $2`, in.PublicKeyID, id)
	return err
}

// keyUnder reports whether a key id names a key of the actor by its path.
func keyUnder(keyID, actorID string) bool {
	base, _, _ := strings.Cut(keyID, "#")
	return base == actorID || strings.HasPrefix(base, actorID+"/")
}

// UpdateRemoteActorProfile applies a pushed Update of an already known actor. It changes only how
// the actor is shown (name, summary, links, avatar, follow approval, discoverability, aliases); its
// key, inbox, endpoints and collections change only through a fetch from its origin
// (UpsertRemoteActor), so a forged or replayed Update can neither take over the account's key nor
// divert its deliveries. It does not mark the actor fresh. Unknown actors give ErrNotFound.
func (f *Forum) UpdateRemoteActorProfile(ctx context.Context, in RemoteActor) (Actor, error) {
	if err := in.validate(f.markup); err != nil {
		return Actor{}, fmt.Errorf("remote actor %s: %w", in.APID, err)
	}
	var id int64
	err := f.db.QueryRow(ctx, `UPDATE actors SET display_name = $2, summary_html = $3, url = $4, avatar_url = $5,
			manually_approves_followers = $6, discoverable = $7, also_known_as = $8, moved_to_ap_id = $9, updated_at = now()
		WHERE ap_id = $1 AND domain IS NOT NULL AND deleted_at IS NULL RETURNING id`,
		in.APID, in.DisplayName, in.SummaryHTML, nullIfEmpty(in.URL), nullIfEmpty(in.AvatarURL),
		in.ManuallyApprovesFollowers, in.Discoverable, in.AlsoKnownAs, nullIfEmpty(in.MovedTo)).Scan(&id)
	if err != nil {
		return Actor{}, notFound(err, "remote actor "+in.APID)
	}
	return f.ActorByID(ctx, id)
}

// ActorByKeyID loads the remote actor whose public key has this id.
func (f *Forum) ActorByKeyID(ctx context.Context, keyID string) (Actor, error) {
	a, err := f.queryActor(ctx, nil, "a.public_key_id = $1 AND a.domain IS NOT NULL", keyID)
	if err != nil {
		return Actor{}, notFound(err, "actor with key "+keyID)
	}
	return a, nil
}

// ClaimActorFetch records an attempt to fetch a remote actor from its origin and reports whether
// the caller may make it: false when another attempt (in any process) was made within minInterval.
// An actor Stoa has never stored may always be fetched.
func (f *Forum) ClaimActorFetch(ctx context.Context, apID string, minInterval time.Duration) (bool, error) {
	var exists, claimed bool
	err := f.db.QueryRow(ctx, `WITH claim AS (
			UPDATE actors SET fetch_attempted_at = now()
			WHERE ap_id = $1 AND domain IS NOT NULL
			  AND (fetch_attempted_at IS NULL OR fetch_attempted_at < now() - make_interval(secs => $2))
			RETURNING id)
		SELECT EXISTS (SELECT 1 FROM actors WHERE ap_id = $1), EXISTS (SELECT 1 FROM claim)`,
		apID, minInterval.Seconds()).Scan(&exists, &claimed)
	if err != nil {
		return false, fmt.Errorf("claim fetch of %s: %w", apID, err)
	}
	return claimed || !exists, nil
}

// RefreshRemoteActorArgs is the job that refetches a stale remote actor from its origin.
type RefreshRemoteActorArgs struct {
	ActorID int64 `json:"actor_id"`
}

// Kind implements JobArgs.
func (RefreshRemoteActorArgs) Kind() string { return "refresh_remote_actor" }

// RequestActorRefresh queues a background refetch of a remote actor, at most once per minInterval
// whatever the number of callers and processes: the claim and the job commit together.
func (f *Forum) RequestActorRefresh(ctx context.Context, actorID int64, minInterval time.Duration) error {
	return f.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE actors SET fetch_attempted_at = now()
			WHERE id = $1 AND domain IS NOT NULL
			  AND (fetch_attempted_at IS NULL OR fetch_attempted_at < now() - make_interval(secs => $2))`,
			actorID, minInterval.Seconds())
		if err != nil {
			return fmt.Errorf("claim refresh of actor %d: %w", actorID, err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		return f.insertJob(ctx, tx, RefreshRemoteActorArgs{ActorID: actorID})
	})
}

// MarkRemoteActorGone records that a remote actor's origin answered 410 Gone for it.
func (f *Forum) MarkRemoteActorGone(ctx context.Context, apID string) error {
	_, err := f.db.Exec(ctx, `UPDATE actors SET deleted_at = coalesce(deleted_at, now()), fetch_attempted_at = now()
		WHERE ap_id = $1 AND domain IS NOT NULL`, apID)
	if err != nil {
		return fmt.Errorf("mark %s gone: %w", apID, err)
	}
	return nil
}
