package forum

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// What a member sees of the remote actors they look up and follow: the list of their follows with
// where each stands, a remote actor's recent posts here, and the budget of lookups that make this
// server fetch from others on a member's behalf.

// remoteLookupPerMember bounds the lookups of remote handles and URLs a member may make: each may
// cost a WebFinger request and an actor fetch to a server the member picks, so a script behind
// one account must not turn the forum into a fetching proxy. A person searching for communities
// to follow stays far below it.
var remoteLookupPerMember = rateLimit{"remote-lookup", time.Hour, 120}

// SpendRemoteLookup counts one lookup of a remote actor by v; ErrRateLimited when v has used the
// hour's budget, ErrUnauthorized for guests (who may not make the server fetch at all).
func (f *Forum) SpendRemoteLookup(ctx context.Context, v Viewer) error {
	if !v.SignedIn() {
		return fmt.Errorf("remote lookup: %w", ErrUnauthorized)
	}
	over, err := remoteLookupPerMember.take(ctx, f.db, fmt.Sprint(v.ActorID))
	if err != nil {
		return err
	}
	if over {
		return fmt.Errorf("remote lookups by %s: %w", v.Username, ErrRateLimited)
	}
	return nil
}

// FollowedActor is a remote actor a member follows, with where the follow stands and, for a
// Group, the handle of its mirror here (slug@domain; empty when it has none yet).
type FollowedActor struct {
	Actor
	FollowID       int64       `db:"follow_id"`
	State          FollowState `db:"state"`
	FollowedAt     time.Time   `db:"followed_at"`
	AcceptedAt     *time.Time  `db:"accepted_at"`
	CategoryHandle string      `db:"category_handle"`
}

// MaxFollowsPage is the most follows MemberFollows returns at once.
const MaxFollowsPage = 100

// MemberFollows lists the remote actors v follows, newest follow first, keyset-paged by follow id
// (before 0: from the newest). It returns the cursor of the next page, 0 on the last.
func (f *Forum) MemberFollows(ctx context.Context, v Viewer, before int64, limit int) ([]FollowedActor, int64, error) {
	if !v.SignedIn() {
		return nil, 0, fmt.Errorf("follows: %w", ErrUnauthorized)
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	if limit <= 0 || limit > MaxFollowsPage {
		limit = MaxFollowsPage
	}
	rows, err := f.db.Query(ctx, `SELECT `+actorColumns+`, fo.id AS follow_id, fo.state, fo.created_at AS followed_at,
			fo.accepted_at, coalesce(c.slug || '@' || c.domain, '') AS category_handle
		FROM (SELECT id, target_id, state, created_at, accepted_at FROM follows
		      WHERE follower_id = $1 AND id < $2
		        AND EXISTS (SELECT 1 FROM actors t WHERE t.id = follows.target_id AND t.domain IS NOT NULL)
		      ORDER BY id DESC LIMIT $3) fo
		JOIN actors a ON a.id = fo.target_id
		LEFT JOIN categories c ON c.actor_id = a.id AND c.domain IS NOT NULL
		ORDER BY fo.id DESC`, v.ActorID, before, limit+1)
	if err != nil {
		return nil, 0, fmt.Errorf("follows of %d: %w", v.ActorID, err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[FollowedActor])
	if err != nil {
		return nil, 0, fmt.Errorf("follows of %d: %w", v.ActorID, err)
	}
	var next int64
	if len(list) > limit {
		list = list[:limit]
		next = list[limit-1].FollowID
	}
	return list, next, nil
}

// RemoteActorPosts lists what a remote actor wrote that is stored here and v may read, newest
// first, before the cursor: the "recent posts here" of a remote actor's page. Deleted and hidden
// posts, and posts in deleted or hidden threads, are left out. Excerpts are plain text taken from
// the sanitised HTML. It returns the next page's cursor (zero on the last page).
func (f *Forum) RemoteActorPosts(ctx context.Context, v Viewer, actorID int64, before MemberActivityCursor, limit int) ([]MemberPost, MemberActivityCursor, error) {
	limit = activityLimit(limit)
	visible, err := f.VisibleCategoryIDs(ctx, v)
	if err != nil {
		return nil, MemberActivityCursor{}, err
	}
	beforeAt, beforeID := before.bound()
	rows, err := f.db.Query(ctx, `SELECT p.id, p.thread_id, t.title AS thread_title, p.position, p.html AS excerpt, p.created_at
		FROM (SELECT id, thread_id, position, html, created_at FROM posts
		      WHERE author_id = $1 AND deleted_at IS NULL AND hidden_at IS NULL
		        AND (created_at, id) < ($3, $2)
		        AND EXISTS (SELECT 1 FROM threads vt WHERE vt.id = posts.thread_id
		                    AND vt.deleted_at IS NULL AND vt.hidden_at IS NULL AND vt.category_id = ANY($5))
		      ORDER BY created_at DESC, id DESC LIMIT $4) p
		JOIN threads t ON t.id = p.thread_id
		ORDER BY p.created_at DESC, p.id DESC`, actorID, beforeID, beforeAt, limit+1, visible)
	if err != nil {
		return nil, MemberActivityCursor{}, fmt.Errorf("posts of actor %d: %w", actorID, err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[MemberPost])
	if err != nil {
		return nil, MemberActivityCursor{}, fmt.Errorf("posts of actor %d: %w", actorID, err)
	}
	var next MemberActivityCursor
	if len(list) > limit {
		list = list[:limit]
		next = MemberActivityCursor{At: list[limit-1].CreatedAt, ID: list[limit-1].ID}
	}
	for i := range list {
		list[i].Excerpt = excerpt(strings.TrimSpace(plainText(list[i].Excerpt)), memberPostExcerptRunes)
	}
	return list, next, nil
}

// ActorSummaryHTML is an actor's summary as pages may show it. A remote actor's summary was
// sanitised when stored, but unlike rendered posts it carries no MAC (SECURITY.md rule 20), so
// it is sanitised again on the way out rather than trusted as the database holds it.
func (f *Forum) ActorSummaryHTML(a Actor) string {
	if a.SummaryHTML == "" {
		return ""
	}
	return f.markup.SanitizeHTML(a.SummaryHTML)
}
