package forum

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Remote categories: a Group on another server (a Lemmy community, a NodeBB or Stoa category) that
// local members follow is mirrored by a categories row with its domain set, so its threads are
// stored, listed, searched and read like local ones, at /c/{slug}@{domain}. The mirror is made
// when a member follows the Group (or when the Group first relays something to a follower), and
// holds what the Group announces; its moderation comes from the Group's moderators (the inbox
// checks who they are).

// EnsureRemoteCategory returns the mirror of a remote Group, making it on first need from what
// the actor cache knows of the Group (name, summary).
func (f *Forum) EnsureRemoteCategory(ctx context.Context, groupID int64) (Category, error) {
	var id int64
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		g, err := f.queryActor(ctx, tx, "a.id = $1 FOR UPDATE", groupID)
		if err != nil {
			return notFound(err, "group")
		}
		if g.Local() || g.Kind != ActorGroup {
			return Invalid("actor", "only a remote Group is mirrored as a category")
		}
		if g.DeletedAt != nil {
			return fmt.Errorf("group %s: %w", g.APID, ErrGone)
		}
		err = tx.QueryRow(ctx, `SELECT id FROM categories WHERE actor_id = $1`, g.ID).Scan(&id)
		if err == nil || !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		title, description := remoteCategoryText(g)
		return tx.QueryRow(ctx, `INSERT INTO categories (actor_id, slug, domain, title, description)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, g.ID, g.Username, g.Domain, title, description).Scan(&id)
	})
	if err != nil {
		return Category{}, fmt.Errorf("mirror group %d: %w", groupID, err)
	}
	f.perms.invalidate()
	return f.CategoryByID(ctx, id)
}

// remoteCategoryText is the title and plain description of a Group's mirror.
func remoteCategoryText(g Actor) (title, description string) {
	title = g.DisplayName
	if title == "" {
		title = g.Username
	}
	if r := []rune(title); len(r) > 100 {
		title = string(r[:100])
	}
	description = plainText(g.SummaryHTML)
	if r := []rune(description); len(r) > 2000 {
		description = string(r[:2000])
	}
	return title, description
}

// SyncRemoteCategory refreshes a Group's mirror after its actor document changed (an Update of
// the Group). A Group that is not mirrored changes nothing.
func (f *Forum) SyncRemoteCategory(ctx context.Context, groupID int64) error {
	g, err := f.ActorByID(ctx, groupID)
	if err != nil {
		return err
	}
	title, description := remoteCategoryText(g)
	// Titles are not columns migration 0020's trigger watches; other processes cache them
	// (category_cache.go), so the statement notifies them itself.
	if _, err := f.db.Exec(ctx, `WITH u AS (
			UPDATE categories SET title = $2, description = $3 WHERE actor_id = $1 AND domain IS NOT NULL RETURNING id)
		SELECT pg_notify('`+permissionsChannel+`', '') FROM u LIMIT 1`,
		groupID, title, description); err != nil {
		return fmt.Errorf("sync mirror of group %d: %w", groupID, err)
	}
	f.perms.invalidate()
	return nil
}

// RemoteCategoryByActor returns a Group's mirror; ErrNotFound when it has none.
func (f *Forum) RemoteCategoryByActor(ctx context.Context, groupID int64) (Category, error) {
	cs, err := f.queryCategories(ctx, "c.actor_id = $1 AND c.domain IS NOT NULL", groupID)
	if err != nil {
		return Category{}, fmt.Errorf("mirror of group %d: %w", groupID, err)
	}
	if len(cs) == 0 {
		return Category{}, fmt.Errorf("mirror of group %d: %w", groupID, ErrNotFound)
	}
	return cs[0], nil
}

// CategoryByHandle loads a category by its handle: "slug" for a local one, "slug@domain" for a
// remote one (the page /c/general@lemmy.example). It is the category's definition, served from
// this process's cache (category_cache.go): its counters are zero; CategoryByID reads them.
func (f *Forum) CategoryByHandle(ctx context.Context, handle string) (Category, error) {
	return f.cachedCategoryByHandle(ctx, handle)
}

// categoryByHandleFromDB is CategoryByHandle from the database, counters included.
func (f *Forum) categoryByHandleFromDB(ctx context.Context, handle string) (Category, error) {
	slug, domain, remote := strings.Cut(strings.TrimPrefix(strings.TrimSpace(handle), "@"), "@")
	if !remote {
		return f.CategoryBySlug(ctx, slug)
	}
	cs, err := f.queryCategories(ctx, "lower(c.slug) = lower($1) AND c.domain = lower($2) ORDER BY c.id LIMIT 1", slug, domain)
	if err != nil {
		return Category{}, fmt.Errorf("category %q: %w", handle, err)
	}
	if len(cs) == 0 {
		return Category{}, fmt.Errorf("category %q: %w", handle, ErrNotFound)
	}
	return cs[0], nil
}

// FollowedRemoteCategory is a remote category a member follows, and where the follow stands.
type FollowedRemoteCategory struct {
	Category
	State FollowState `db:"state"`
}

// FollowedRemoteCategories lists the remote categories v follows (accepted or waiting for the
// Group's Accept), by title.
func (f *Forum) FollowedRemoteCategories(ctx context.Context, v Viewer) ([]FollowedRemoteCategory, error) {
	if !v.SignedIn() {
		return nil, nil
	}
	rows, err := f.db.Query(ctx, "SELECT "+categoryColumns+`, fo.state FROM follows fo
		JOIN categories c ON c.actor_id = fo.target_id AND c.domain IS NOT NULL
		WHERE fo.follower_id = $1 ORDER BY c.title, c.id LIMIT 200`, v.ActorID)
	if err != nil {
		return nil, fmt.Errorf("followed remote categories: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[FollowedRemoteCategory])
	if err != nil {
		return nil, fmt.Errorf("followed remote categories: %w", err)
	}
	return list, nil
}

// FollowsServiceOn reports whether a member here follows a Service actor on domain: how a single
// thread of a remote forum is followed (a Stoa thread's actor is a Service), so its mirror is
// worth keeping in step even when nobody here follows its Group.
func (f *Forum) FollowsServiceOn(ctx context.Context, domain string) (bool, error) {
	var yes bool
	err := f.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM follows fo JOIN actors l ON l.id = fo.follower_id AND l.domain IS NULL
		JOIN actors s ON s.id = fo.target_id AND s.kind = 'service' AND s.domain = $1)`, domain).Scan(&yes)
	if err != nil {
		return false, fmt.Errorf("local follows of services on %s: %w", domain, err)
	}
	return yes, nil
}

// FollowedLocally reports whether any local member follows a remote actor (accepted or pending):
// what a remote Group relays is kept only then.
func (f *Forum) FollowedLocally(ctx context.Context, remoteID int64) (bool, error) {
	var yes bool
	err := f.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM follows fo JOIN actors a ON a.id = fo.follower_id
		WHERE fo.target_id = $1 AND a.domain IS NULL)`, remoteID).Scan(&yes)
	if err != nil {
		return false, fmt.Errorf("local followers of %d: %w", remoteID, err)
	}
	return yes, nil
}
