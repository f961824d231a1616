package forum

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// ActorKind says what an actor is. Local actors are people (members), groups (categories), threads
// and the instance itself; remote actors may also be services and organizations.
type ActorKind string

const (
	ActorPerson       ActorKind = "person"
	ActorGroup        ActorKind = "group"
	ActorThread       ActorKind = "thread"
	ActorInstance     ActorKind = "instance"
	ActorService      ActorKind = "service"
	ActorOrganization ActorKind = "organization"
)

// InstanceActorUsername is the handle of the instance's own actor.
const InstanceActorUsername = "instance.actor"

// Actor is anyone who can act or be followed. Domain is empty for local actors.
type Actor struct {
	ID                        int64      `db:"id"`
	Kind                      ActorKind  `db:"kind"`
	Username                  string     `db:"username"`
	Domain                    string     `db:"domain"`
	APID                      string     `db:"ap_id"`
	DisplayName               string     `db:"display_name"`
	SummaryHTML               string     `db:"summary_html"`
	URL                       string     `db:"url"`
	AvatarURL                 string     `db:"avatar_url"`
	InboxURL                  string     `db:"inbox_url"`
	SharedInboxURL            string     `db:"shared_inbox_url"`
	OutboxURL                 string     `db:"outbox_url"`
	FollowersURL              string     `db:"followers_url"`
	FollowingURL              string     `db:"following_url"`
	FeaturedURL               string     `db:"featured_url"`
	PublicKeyID               string     `db:"public_key_id"`
	PublicKeyPEM              string     `db:"public_key_pem"`
	ManuallyApprovesFollowers bool       `db:"manually_approves_followers"`
	Discoverable              bool       `db:"discoverable"`
	AlsoKnownAs               []string   `db:"also_known_as"`
	MovedToAPID               string     `db:"moved_to_ap_id"`
	FetchedAt                 *time.Time `db:"fetched_at"`
	CreatedAt                 time.Time  `db:"created_at"`
	UpdatedAt                 time.Time  `db:"updated_at"`
	SilencedAt                *time.Time `db:"silenced_at"`
	SuspendedAt               *time.Time `db:"suspended_at"`
	DeletedAt                 *time.Time `db:"deleted_at"`
	// DomainLimit is what the domain rules do to a remote actor, PostsRemovedAt when staff removed
	// its posts from local threads, and Suppression the stronger of all of it (domain_rule.go).
	DomainLimit    DomainLimit `db:"domain_limit"`
	PostsRemovedAt *time.Time  `db:"posts_removed_at"`
	Suppression    DomainLimit `db:"suppression"`
}

// Local reports whether the actor lives on this instance.
func (a Actor) Local() bool { return a.Domain == "" }

// Handle is username for local actors and username@domain for remote ones.
func (a Actor) Handle() string {
	if a.Local() {
		return a.Username
	}
	return a.Username + "@" + a.Domain
}

// Name is what pages show: the display name, else the handle.
func (a Actor) Name() string {
	if a.DisplayName != "" {
		return a.DisplayName
	}
	return a.Username
}

// actorColumns lists the columns scanned into Actor, with NULLs turned into zero values.
const actorColumns = `a.id, a.kind, a.username, coalesce(a.domain, '') AS domain, coalesce(a.ap_id, '') AS ap_id,
	a.display_name, a.summary_html, coalesce(a.url, '') AS url, coalesce(a.avatar_url, '') AS avatar_url,
	coalesce(a.inbox_url, '') AS inbox_url, coalesce(a.shared_inbox_url, '') AS shared_inbox_url,
	coalesce(a.outbox_url, '') AS outbox_url, coalesce(a.followers_url, '') AS followers_url,
	coalesce(a.following_url, '') AS following_url, coalesce(a.featured_url, '') AS featured_url,
	coalesce(a.public_key_id, '') AS public_key_id, coalesce(a.public_key_pem, '') AS public_key_pem,
	a.manually_approves_followers, a.discoverable, a.also_known_as, coalesce(a.moved_to_ap_id, '') AS moved_to_ap_id,
	a.fetched_at, a.created_at, a.updated_at, a.silenced_at, a.suspended_at, a.deleted_at, a.domain_limit,
	a.posts_removed_at, a.suppression`

func (f *Forum) queryActor(ctx context.Context, q pgx.Tx, where string, args ...any) (Actor, error) {
	sql := "SELECT " + actorColumns + " FROM actors a WHERE " + where
	var rows pgx.Rows
	var err error
	if q != nil {
		rows, err = q.Query(ctx, sql, args...)
	} else {
		rows, err = f.db.Query(ctx, sql, args...)
	}
	if err != nil {
		return Actor{}, err
	}
	return pgx.CollectExactlyOneRow(rows, scanActor)
}

// ActorByID loads any actor.
func (f *Forum) ActorByID(ctx context.Context, id int64) (Actor, error) {
	a, err := f.queryActor(ctx, nil, "a.id = $1", id)
	if err != nil {
		return Actor{}, notFound(err, "actor")
	}
	return a, nil
}

// LocalActorByUsername loads a local actor of any kind by its handle.
func (f *Forum) LocalActorByUsername(ctx context.Context, username string) (Actor, error) {
	a, err := f.queryActor(ctx, nil, "a.domain IS NULL AND a.username = $1", NormalizeHandle(username))
	if err != nil {
		return Actor{}, notFound(err, "actor "+username)
	}
	return a, nil
}

// ActorByAPID loads a remote actor by its ActivityPub id.
func (f *Forum) ActorByAPID(ctx context.Context, apID string) (Actor, error) {
	a, err := f.queryActor(ctx, nil, "a.ap_id = $1", apID)
	if err != nil {
		return Actor{}, notFound(err, "actor "+apID)
	}
	return a, nil
}

// insertLocalActor creates a local actor row and its key pair. field names the input that carried the
// handle, for the error when it is taken (by a member or a category: they share one namespace).
func (f *Forum) insertLocalActor(ctx context.Context, tx pgx.Tx, field string, kind ActorKind, username, displayName string) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO actors (kind, username, display_name) VALUES ($1, $2, $3) RETURNING id`,
		kind, username, displayName).Scan(&id)
	if err != nil {
		if isUniqueViolation(err, "actors_local_username") {
			return 0, Invalid(field, "%q is already taken", username)
		}
		return 0, err
	}
	if err := f.createKey(ctx, tx, id); err != nil {
		return 0, err
	}
	return id, nil
}
