package forum

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The queries behind the collections and server metadata that package federation publishes.

// ListedActor is an actor listed in a collection (followers, following, moderators). Cursor is the
// keyset position of the entry (the follow's id for follows).
type ListedActor struct {
	Cursor   int64     `db:"cursor"`
	ID       int64     `db:"id"`
	Kind     ActorKind `db:"kind"`
	Username string    `db:"username"`
	Domain   string    `db:"domain"`
	APID     string    `db:"ap_id"`
}

// Local reports whether the listed actor lives here (its id is derived, not stored).
func (l ListedActor) Local() bool { return l.Domain == "" }

// Actor returns the fields of l as an Actor, enough to derive its id.
func (l ListedActor) Actor() Actor {
	return Actor{ID: l.ID, Kind: l.Kind, Username: l.Username, Domain: l.Domain, APID: l.APID}
}

// MaxCollectionPage is the largest page of a collection.
const MaxCollectionPage = 100

// CountFollowers counts the accepted followers of an actor.
func (f *Forum) CountFollowers(ctx context.Context, actorID int64) (int, error) {
	var n int
	err := f.db.QueryRow(ctx, `SELECT count(*) FROM follows WHERE target_id = $1 AND state = 'accepted'`, actorID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count followers of %d: %w", actorID, err)
	}
	return n, nil
}

// CountFollowing counts the accepted follows an actor has made.
func (f *Forum) CountFollowing(ctx context.Context, actorID int64) (int, error) {
	var n int
	err := f.db.QueryRow(ctx, `SELECT count(*) FROM follows WHERE follower_id = $1 AND state = 'accepted'`, actorID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count following of %d: %w", actorID, err)
	}
	return n, nil
}

// FollowersPage lists an actor's accepted followers, newest first, after the cursor before (0: from
// the newest). The page is chosen first and joined after (PERFORMANCE.md: limit-first).
func (f *Forum) FollowersPage(ctx context.Context, actorID, before int64, limit int) ([]ListedActor, error) {
	return f.followPage(ctx, `SELECT fo.id AS cursor, a.id, a.kind, a.username, coalesce(a.domain, '') AS domain,
			coalesce(a.ap_id, '') AS ap_id
		FROM (SELECT id, follower_id FROM follows
		      WHERE target_id = $1 AND state = 'accepted' AND id < $2 ORDER BY id DESC LIMIT $3) fo
		JOIN actors a ON a.id = fo.follower_id
		ORDER BY fo.id DESC`, actorID, before, limit)
}

// FollowingPage lists the actors an actor follows, newest follow first, after the cursor before.
func (f *Forum) FollowingPage(ctx context.Context, actorID, before int64, limit int) ([]ListedActor, error) {
	return f.followPage(ctx, `SELECT fo.id AS cursor, a.id, a.kind, a.username, coalesce(a.domain, '') AS domain,
			coalesce(a.ap_id, '') AS ap_id
		FROM (SELECT id, target_id FROM follows
		      WHERE follower_id = $1 AND state = 'accepted' AND id < $2 ORDER BY id DESC LIMIT $3) fo
		JOIN actors a ON a.id = fo.target_id
		ORDER BY fo.id DESC`, actorID, before, limit)
}

func (f *Forum) followPage(ctx context.Context, sql string, actorID, before int64, limit int) ([]ListedActor, error) {
	before = pageBefore(max(before, 0))
	if limit <= 0 || limit > MaxCollectionPage {
		limit = MaxCollectionPage
	}
	rows, err := f.db.Query(ctx, sql, actorID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("follows of %d: %w", actorID, err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[ListedActor])
	if err != nil {
		return nil, fmt.Errorf("follows of %d: %w", actorID, err)
	}
	return list, nil
}

// Moderators lists the people who moderate every category: for now the site's admins and
// moderators (per-category moderators come with moderation), oldest account first.
func (f *Forum) Moderators(ctx context.Context) ([]ListedActor, error) {
	rows, err := f.db.Query(ctx, `SELECT a.id AS cursor, a.id, a.kind, a.username, '' AS domain, '' AS ap_id
		FROM members m JOIN actors a ON a.id = m.actor_id
		WHERE m.role IN ('admin', 'moderator') AND a.deleted_at IS NULL AND a.suspended_at IS NULL
		ORDER BY a.id
		LIMIT $1`, MaxCollectionPage)
	if err != nil {
		return nil, fmt.Errorf("moderators: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[ListedActor])
	if err != nil {
		return nil, fmt.Errorf("moderators: %w", err)
	}
	return list, nil
}

// MaxFeatured is the most pinned threads a category publishes in its featured collection.
const MaxFeatured = 50

// FeaturedPostIDs returns the opening posts of a category's pinned, visible threads, most recently
// pinned first: the featured collection lists posts (Lemmy and Mastodon expect objects there).
func (f *Forum) FeaturedPostIDs(ctx context.Context, categoryID int64) ([]int64, error) {
	rows, err := f.db.Query(ctx, `SELECT p.id
		FROM (SELECT id, pinned_at FROM threads
		      WHERE category_id = $1 AND pinned_at IS NOT NULL AND deleted_at IS NULL AND hidden_at IS NULL AND suppressed = 0
		      ORDER BY pinned_at DESC, id DESC LIMIT $2) t
		JOIN posts p ON p.thread_id = t.id AND p.position = 1 AND p.deleted_at IS NULL AND p.hidden_at IS NULL
			AND p.suppressed = 0
		ORDER BY t.pinned_at DESC, t.id DESC`, categoryID, MaxFeatured)
	if err != nil {
		return nil, fmt.Errorf("featured of category %d: %w", categoryID, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("featured of category %d: %w", categoryID, err)
	}
	return ids, nil
}

// CountOutbox is the number of public things an actor has published, the totalItems of its outbox:
// a member's visible posts, a category's threads, a thread's posts, nothing for the instance.
func (f *Forum) CountOutbox(ctx context.Context, a Actor) (int, error) {
	var sql string
	switch a.Kind {
	case ActorPerson:
		sql = `SELECT count(*) FROM posts WHERE author_id = $1 AND deleted_at IS NULL AND hidden_at IS NULL`
	case ActorGroup:
		sql = `SELECT coalesce((SELECT ct.thread_count FROM categories c JOIN category_totals ct ON ct.id = c.id
			WHERE c.actor_id = $1), 0)`
	case ActorThread:
		sql = `SELECT coalesce((SELECT post_count FROM threads WHERE actor_id = $1), 0)`
	default:
		return 0, nil
	}
	var n int
	if err := f.db.QueryRow(ctx, sql, a.ID).Scan(&n); err != nil {
		return 0, fmt.Errorf("outbox size of actor %d: %w", a.ID, err)
	}
	return n, nil
}

// LocalPerson is a member as their Person document shows them.
type LocalPerson struct {
	Actor
	JoinedAt time.Time     `db:"joined_at"`
	Links    []ProfileLink `db:"links"`
}

// LocalPersonByUsername loads a member for their actor document.
func (f *Forum) LocalPersonByUsername(ctx context.Context, username string) (LocalPerson, error) {
	rows, err := f.db.Query(ctx, `SELECT `+actorColumns+`, m.created_at AS joined_at, m.links
		FROM members m JOIN actors a ON a.id = m.actor_id
		WHERE a.domain IS NULL AND a.username = $1`, NormalizeHandle(username))
	if err != nil {
		return LocalPerson{}, fmt.Errorf("person %q: %w", username, err)
	}
	p, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[LocalPerson])
	if err != nil {
		return LocalPerson{}, notFound(err, "person "+username)
	}
	if p.Links == nil {
		p.Links = []ProfileLink{}
	}
	return p, nil
}

// NodeUsage is what NodeInfo reports about the instance.
type NodeUsage struct {
	Users          int `db:"users"`
	ActiveMonth    int `db:"active_month"`
	ActiveHalfyear int `db:"active_halfyear"`
	LocalPosts     int `db:"local_posts"`
}

// Usage counts members, active members (seen or posting within 30 and 180 days of now) and the
// visible posts they wrote.
func (f *Forum) Usage(ctx context.Context, now time.Time) (NodeUsage, error) {
	month, halfyear := now.AddDate(0, 0, -30), now.AddDate(0, 0, -180)
	// Local posts are counted as they are published: in categories guests may see, in threads
	// neither hidden nor deleted (a staff room's posts are no one else's business, even as a sum).
	public, err := f.VisibleCategoryIDs(ctx, Guest)
	if err != nil {
		return NodeUsage{}, fmt.Errorf("usage: %w", err)
	}
	rows, err := f.db.Query(ctx, `WITH people AS (
			SELECT m.actor_id,
			       greatest(m.last_seen_at,
			                (SELECT max(p.created_at) FROM posts p WHERE p.author_id = m.actor_id)) AS active_at
			FROM members m JOIN actors a ON a.id = m.actor_id
			WHERE a.deleted_at IS NULL)
		SELECT (SELECT count(*) FROM people) AS users,
		       (SELECT count(*) FROM people WHERE active_at > $1) AS active_month,
		       (SELECT count(*) FROM people WHERE active_at > $2) AS active_halfyear,
		       (SELECT count(*) FROM posts p JOIN actors a ON a.id = p.author_id JOIN threads t ON t.id = p.thread_id
		        WHERE a.domain IS NULL AND p.deleted_at IS NULL AND p.hidden_at IS NULL
		          AND t.deleted_at IS NULL AND t.hidden_at IS NULL AND t.category_id = ANY($3)) AS local_posts`,
		month, halfyear, public)
	if err != nil {
		return NodeUsage{}, fmt.Errorf("usage: %w", err)
	}
	u, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[NodeUsage])
	if err != nil {
		return NodeUsage{}, fmt.Errorf("usage: %w", err)
	}
	return u, nil
}
