package forum

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// PostPlace is where a stored post is and who wrote it: what the inbox checks an activity about a
// post against (who may edit or delete it, which Group moderates it, whether its category is ours).
type PostPlace struct {
	PostID     int64  `db:"post_id"`
	APID       string `db:"ap_id"`
	AuthorID   int64  `db:"author_id"`
	Position   int    `db:"position"`
	Deleted    bool   `db:"deleted"`
	ThreadID   int64  `db:"thread_id"`
	ThreadAPID string `db:"thread_ap_id"`
	CategoryID int64  `db:"category_id"`
	// CategoryDomain is empty for a local category.
	CategoryDomain string `db:"category_domain"`
	// GroupID is the category's Group actor.
	GroupID int64 `db:"group_id"`
}

// LocalCategory reports whether the post's category is one of this site's.
func (p PostPlace) LocalCategory() bool { return p.CategoryDomain == "" }

// Opener reports whether the post opens its thread.
func (p PostPlace) Opener() bool { return p.Position == 1 }

const postPlaceSelect = `SELECT p.id AS post_id, coalesce(p.ap_id, '') AS ap_id, p.author_id, p.position,
		p.deleted_at IS NOT NULL AS deleted, t.id AS thread_id, coalesce(t.ap_id, '') AS thread_ap_id,
		c.id AS category_id, coalesce(c.domain, '') AS category_domain, c.actor_id AS group_id
	FROM posts p JOIN threads t ON t.id = p.thread_id JOIN categories c ON c.id = t.category_id`

func (f *Forum) postPlace(ctx context.Context, where string, arg any) (PostPlace, error) {
	rows, err := f.db.Query(ctx, postPlaceSelect+" WHERE "+where, arg)
	if err != nil {
		return PostPlace{}, err
	}
	return pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[PostPlace])
}

// PostPlaceByAPID finds a stored remote post by its ActivityPub id.
func (f *Forum) PostPlaceByAPID(ctx context.Context, apID string) (PostPlace, error) {
	p, err := f.postPlace(ctx, "p.ap_id = $1", apID)
	if err != nil {
		return PostPlace{}, notFound(err, "post "+apID)
	}
	return p, nil
}

// PostPlaceByID finds a post by its row id (a local post named by its IRI).
func (f *Forum) PostPlaceByID(ctx context.Context, id int64) (PostPlace, error) {
	p, err := f.postPlace(ctx, "p.id = $1", id)
	if err != nil {
		return PostPlace{}, notFound(err, fmt.Sprintf("post %d", id))
	}
	return p, nil
}

// ThreadOpenerPlace finds the opening post of a thread named by its remote id: its context
// collection (threads.ap_id) or its opening post's id (Lemmy locks and pins name the post; NodeBB
// moves and removes name the context).
func (f *Forum) ThreadOpenerPlace(ctx context.Context, apID string) (PostPlace, error) {
	p, err := f.postPlace(ctx, `p.position = 1 AND p.thread_id = coalesce(
		(SELECT id FROM threads WHERE ap_id = $1), (SELECT thread_id FROM posts WHERE ap_id = $1 AND position = 1))`, apID)
	if err != nil {
		return PostPlace{}, notFound(err, "thread "+apID)
	}
	return p, nil
}

// RemotePostKnown says in one query what the inbox asks before it stores a remote post: the id
// of the stored post with that ActivityPub id (0 when none), and whether its origin deleted it
// (TombstoneRemote). CreateRemotePost checks both again under its lock; asking first spares the
// fetches of an author or a parent for a post that will not be stored.
func (f *Forum) RemotePostKnown(ctx context.Context, apID string) (postID int64, tombstoned bool, err error) {
	err = f.db.QueryRow(ctx, `SELECT coalesce((SELECT id FROM posts WHERE ap_id = $1), 0),
		EXISTS (SELECT 1 FROM remote_tombstones WHERE ap_id = $1)`, apID).Scan(&postID, &tombstoned)
	if err != nil {
		return 0, false, fmt.Errorf("stored post %s: %w", apID, err)
	}
	return postID, tombstoned, nil
}
