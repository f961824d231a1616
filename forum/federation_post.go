package forum

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// What package federation reads to build a post's ActivityStreams object (Article or Note) and the
// activities about it.

// FederatedPost is a post with everything its object document shows: its thread, its category (the
// Group in audience), its author and the post it answers. Remote things carry their ids; local ones
// are derived by federation from usernames and row ids.
type FederatedPost struct {
	Post
	ThreadTitle    string     `db:"thread_title"`
	ThreadAPID     string     `db:"thread_ap_id"`
	ThreadActorID  *int64     `db:"thread_actor_id"`
	ThreadLockedAt *time.Time `db:"thread_locked_at"`
	ThreadHidden   bool       `db:"thread_hidden"`
	// ThreadSuppressed is the thread's limit (its author's or category's moderation).
	ThreadSuppressed DomainLimit `db:"thread_suppressed"`
	ThreadDeleted    bool        `db:"thread_deleted"`
	AuthorKind       ActorKind   `db:"author_kind"`
	// OpenerID is the thread's first post, which replies without in_reply_to answer.
	OpenerID     int64    `db:"opener_id"`
	ParentID     *int64   `db:"parent_id"`
	ParentAPID   string   `db:"parent_ap_id"`
	ParentAuthor *int64   `db:"parent_author_id"`
	Category     Category `db:"-"`
	// Public is true when a guest may read the post's thread: only public content federates.
	Public bool `db:"-"`
}

// Opener reports whether the post opens its thread.
func (p FederatedPost) Opener() bool { return p.Position == 1 }

// FederatedPostByID loads a post for federation. The stored HTML is checked like every read of it
// (SECURITY.md rule 20). Public says whether a guest may read it; hidden and deleted posts are
// returned too (their Delete needs them), and the caller decides what to publish.
func (f *Forum) FederatedPostByID(ctx context.Context, postID int64) (FederatedPost, error) {
	rows, err := f.db.Query(ctx, `SELECT `+postColumns(2)+`, t.title AS thread_title, coalesce(t.ap_id, '') AS thread_ap_id,
			t.actor_id AS thread_actor_id, t.locked_at AS thread_locked_at, t.hidden_at IS NOT NULL AS thread_hidden, t.suppressed AS thread_suppressed,
			t.deleted_at IS NOT NULL AS thread_deleted, au.kind AS author_kind,
			coalesce((SELECT o.id FROM posts o WHERE o.thread_id = t.id AND o.position = 1), 0) AS opener_id,
			pp.id AS parent_id, coalesce(pp.ap_id, '') AS parent_ap_id, pp.author_id AS parent_author_id
		FROM posts p JOIN actors au ON au.id = p.author_id JOIN threads t ON t.id = p.thread_id
		LEFT JOIN posts pp ON pp.id = coalesce(p.in_reply_to_id,
			CASE WHEN p.position > 1 THEN (SELECT o.id FROM posts o WHERE o.thread_id = t.id AND o.position = 1) END)
		WHERE p.id = $1`, postID, 0)
	if err != nil {
		return FederatedPost{}, fmt.Errorf("post %d: %w", postID, err)
	}
	p, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[FederatedPost])
	if err != nil {
		return FederatedPost{}, notFound(err, fmt.Sprintf("post %d", postID))
	}
	var catID int64
	if err := f.db.QueryRow(ctx, `SELECT category_id FROM threads WHERE id = $1`, p.ThreadID).Scan(&catID); err != nil {
		return FederatedPost{}, fmt.Errorf("category of post %d: %w", postID, err)
	}
	if p.Category, err = f.CategoryByID(ctx, catID); err != nil {
		return FederatedPost{}, err
	}
	perm, err := f.Permissions(ctx, Guest, p.Category)
	if err != nil {
		return FederatedPost{}, err
	}
	// A limited author's or thread's content is not published: peers would show it to everyone.
	p.Public = perm.See && !p.ThreadHidden && p.ThreadSuppressed == LimitNone && p.Suppressed == LimitNone
	posts := []Post{p.Post}
	if !p.Deleted() {
		if err := f.verifyHTML(ctx, posts); err != nil {
			return FederatedPost{}, err
		}
	}
	p.Post = posts[0]
	return p, nil
}

// FederatedThread is a thread as its context collection and history show it.
type FederatedThread struct {
	Thread
	Category Category
	// Public is true when a guest may read the thread.
	Public bool
	// Visible counts its posts a guest may read (neither hidden nor deleted).
	Visible int
}

// FederatedThreadByID loads a local thread for its collections. A deleted thread is ErrGone; a
// hidden thread, a remote one or one in a category guests cannot read is ErrNotFound.
func (f *Forum) FederatedThreadByID(ctx context.Context, threadID int64) (FederatedThread, error) {
	rows, err := f.db.Query(ctx, "SELECT "+threadColumns+" FROM threads t WHERE t.id = $1", threadID)
	if err != nil {
		return FederatedThread{}, fmt.Errorf("thread %d: %w", threadID, err)
	}
	t, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Thread])
	if err != nil {
		return FederatedThread{}, notFound(err, fmt.Sprintf("thread %d", threadID))
	}
	out := FederatedThread{Thread: t}
	if out.Category, err = f.CategoryByID(ctx, t.CategoryID); err != nil {
		return FederatedThread{}, err
	}
	perm, err := f.Permissions(ctx, Guest, out.Category)
	if err != nil {
		return FederatedThread{}, err
	}
	switch {
	case !perm.See || t.HiddenAt != nil || t.APID != "" || t.Suppressed != LimitNone:
		return FederatedThread{}, fmt.Errorf("thread %d: %w", threadID, ErrNotFound)
	case t.DeletedAt != nil:
		return FederatedThread{}, fmt.Errorf("thread %d: %w", threadID, ErrGone)
	}
	out.Public = true
	if err := f.db.QueryRow(ctx, `SELECT count(*) FROM posts WHERE thread_id = $1 AND hidden_at IS NULL AND deleted_at IS NULL
			AND suppressed = 0`,
		threadID).Scan(&out.Visible); err != nil {
		return FederatedThread{}, fmt.Errorf("count posts of thread %d: %w", threadID, err)
	}
	return out, nil
}

// PostRef is a post listed in a collection: its id (or remote id) and its keyset position.
type PostRef struct {
	ID       int64  `db:"id"`
	APID     string `db:"ap_id"`
	Position int    `db:"position"`
}

// ThreadPostRefs lists a thread's visible posts oldest first, after a position (0: from the
// start): the thread's context collection (FEP-7888) pages by position.
func (f *Forum) ThreadPostRefs(ctx context.Context, threadID int64, after, limit int) ([]PostRef, error) {
	return f.postRefs(ctx, `SELECT id, coalesce(ap_id, '') AS ap_id, position FROM posts
		WHERE thread_id = $1 AND position > $2 AND hidden_at IS NULL AND deleted_at IS NULL AND suppressed = 0
		ORDER BY position LIMIT $3`, limit, threadID, after)
}

// replyWhere selects the direct replies of a post: posts answering it, and for an opener also the
// replies that answer nobody in particular.
const replyWhere = `thread_id = $1 AND position > $2 AND hidden_at IS NULL AND deleted_at IS NULL AND suppressed = 0
	AND (in_reply_to_id = $3 OR ($4 AND in_reply_to_id IS NULL AND position > 1))`

// PostReplyRefs lists the visible direct replies of a post, oldest first, after a position.
func (f *Forum) PostReplyRefs(ctx context.Context, p FederatedPost, after, limit int) ([]PostRef, error) {
	return f.postRefs(ctx, `SELECT id, coalesce(ap_id, '') AS ap_id, position FROM posts WHERE `+replyWhere+`
		ORDER BY position LIMIT $5`, limit, p.ThreadID, after, p.ID, p.Opener())
}

// CountPostReplies counts the visible direct replies of a post.
func (f *Forum) CountPostReplies(ctx context.Context, p FederatedPost) (int, error) {
	var n int
	err := f.db.QueryRow(ctx, `SELECT count(*) FROM posts WHERE `+replyWhere, p.ThreadID, 0, p.ID, p.Opener()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count replies of post %d: %w", p.ID, err)
	}
	return n, nil
}

// postRefs runs a list query whose last parameter is the page size (capped).
func (f *Forum) postRefs(ctx context.Context, sql string, limit int, args ...any) ([]PostRef, error) {
	if limit <= 0 || limit > MaxCollectionPage {
		limit = MaxCollectionPage
	}
	rows, err := f.db.Query(ctx, sql, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list posts: %w", err)
	}
	refs, err := pgx.CollectRows(rows, pgx.RowToStructByName[PostRef])
	if err != nil {
		return nil, fmt.Errorf("list posts: %w", err)
	}
	return refs, nil
}

// RemoteActorByHandle finds a stored remote actor by username and domain (case-insensitive
// username), the cache a mention is resolved from before WebFinger is asked. One server may have
// two actors of one name (on Lemmy a user and a community): a handle then names the person, as
// @name does there (a community is !name), and of two of a kind the one stored first. The answer
// never depends on which was fetched last, so an actor made later under a taken name cannot take
// over the handle's mentions (SECURITY.md rule 2).
func (f *Forum) RemoteActorByHandle(ctx context.Context, username, domain string) (Actor, error) {
	a, err := f.queryActor(ctx, nil, `lower(a.username) = lower($1) AND a.domain = lower($2) AND a.deleted_at IS NULL
		ORDER BY a.kind = 'person' DESC, a.id LIMIT 1`, username, domain)
	if err != nil {
		return Actor{}, notFound(err, "actor "+username+"@"+domain)
	}
	return a, nil
}

// ThreadOpenerID is the id of a thread's opening post.
func (f *Forum) ThreadOpenerID(ctx context.Context, threadID int64) (int64, error) {
	var id int64
	if err := f.db.QueryRow(ctx, `SELECT id FROM posts WHERE thread_id = $1 AND position = 1`, threadID).Scan(&id); err != nil {
		return 0, notFound(err, fmt.Sprintf("opener of thread %d", threadID))
	}
	return id, nil
}
