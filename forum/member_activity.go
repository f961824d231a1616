package forum

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// MemberActivityCursor is a position in a member's threads or posts, newest first: the
// (created_at, id) of the last row shown.
type MemberActivityCursor struct {
	At time.Time
	ID int64
}

// IsZero reports whether the cursor is the start of the list.
func (c MemberActivityCursor) IsZero() bool { return c.ID == 0 }

// bound is the cursor as the key a page's rows must sort below: the start of the list is a key
// above every row (pageBefore).
func (c MemberActivityCursor) bound() (time.Time, int64) {
	if c.IsZero() {
		return newestKeyTime, math.MaxInt64
	}
	return c.At, c.ID
}

// String encodes the cursor for a URL.
func (c MemberActivityCursor) String() string {
	if c.IsZero() {
		return ""
	}
	return strconv.FormatInt(c.At.UnixMicro(), 10) + "." + strconv.FormatInt(c.ID, 10)
}

// ParseMemberActivityCursor decodes String's output; "" is the start.
func ParseMemberActivityCursor(s string) (MemberActivityCursor, error) {
	if s == "" {
		return MemberActivityCursor{}, nil
	}
	at, id, ok := strings.Cut(s, ".")
	us, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || n <= 0 {
		return MemberActivityCursor{}, Invalid("before", "is not a valid cursor")
	}
	return MemberActivityCursor{At: time.UnixMicro(us), ID: n}, nil
}

// MemberThread is a thread a member started, as listed on their page.
type MemberThread struct {
	ID            int64     `db:"id"`
	Title         string    `db:"title"`
	CategorySlug  string    `db:"category_slug"`
	CategoryTitle string    `db:"category_title"`
	PostCount     int       `db:"post_count"`
	CreatedAt     time.Time `db:"created_at"`
	LastPostAt    time.Time `db:"last_post_at"`
}

// MemberPost is a post a member wrote, as listed on their page: a plain-text excerpt of its
// source (not its HTML), which is safe to show escaped anywhere.
type MemberPost struct {
	ID          int64     `db:"id"`
	ThreadID    int64     `db:"thread_id"`
	ThreadTitle string    `db:"thread_title"`
	Position    int       `db:"position"`
	Excerpt     string    `db:"excerpt"`
	CreatedAt   time.Time `db:"created_at"`
}

// Member activity page sizes and excerpt length.
const (
	DefaultMemberActivityLimit = 20
	MaxMemberActivityLimit     = 100
	memberPostExcerptRunes     = 240
)

func activityLimit(limit int) int {
	if limit <= 0 || limit > MaxMemberActivityLimit {
		return DefaultMemberActivityLimit
	}
	return limit
}

// MemberThreads lists the threads a member started that v may read, newest first, before the
// cursor. Threads in categories v may not see are left out (a member's page must not reveal what
// the category pages hide), and so are deleted and hidden threads, for everyone, as in every
// thread list. It returns the cursor of the next page (zero on the last page).
func (f *Forum) MemberThreads(ctx context.Context, v Viewer, memberID int64, before MemberActivityCursor, limit int) ([]MemberThread, MemberActivityCursor, error) {
	limit = activityLimit(limit)
	visible, err := f.VisibleCategoryIDs(ctx, v)
	if err != nil {
		return nil, MemberActivityCursor{}, fmt.Errorf("member threads: %w", err)
	}
	// The category filter sits inside the limit-first walk of threads_author, so a page still
	// reads about limit rows unless the member wrote much in categories v cannot see.
	beforeAt, beforeID := before.bound()
	rows, err := f.db.Query(ctx, `SELECT t.id, t.title, c.slug || coalesce('@' || c.domain, '') AS category_slug,
			c.title AS category_title, t.post_count, t.created_at, t.last_post_at
		FROM (SELECT id, category_id, title, post_count, created_at, last_post_at FROM threads
		      WHERE author_id = $1 AND deleted_at IS NULL AND hidden_at IS NULL AND category_id = ANY($5)
		        AND (created_at, id) < ($3, $2)
		      ORDER BY created_at DESC, id DESC LIMIT $4) t
		JOIN categories c ON c.id = t.category_id
		ORDER BY t.created_at DESC, t.id DESC`, memberID, beforeID, beforeAt, limit+1, visible)
	if err != nil {
		return nil, MemberActivityCursor{}, fmt.Errorf("member threads: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[MemberThread])
	if err != nil {
		return nil, MemberActivityCursor{}, fmt.Errorf("member threads: %w", err)
	}
	var next MemberActivityCursor
	if len(list) > limit {
		list = list[:limit]
		next = MemberActivityCursor{At: list[limit-1].CreatedAt, ID: list[limit-1].ID}
	}
	return list, next, nil
}

// MemberPosts lists the posts a member wrote that v may read, newest first, before the cursor.
// Posts in threads of categories v may not see are left out (as RemoteActorPosts does for remote
// actors), and so are deleted and hidden posts and posts in deleted or hidden threads, for
// everyone, as in every list. It returns the next page's cursor.
func (f *Forum) MemberPosts(ctx context.Context, v Viewer, memberID int64, before MemberActivityCursor, limit int) ([]MemberPost, MemberActivityCursor, error) {
	limit = activityLimit(limit)
	visible, err := f.VisibleCategoryIDs(ctx, v)
	if err != nil {
		return nil, MemberActivityCursor{}, fmt.Errorf("member posts: %w", err)
	}
	beforeAt, beforeID := before.bound()
	rows, err := f.db.Query(ctx, `SELECT p.id, p.thread_id, t.title AS thread_title, p.position, p.excerpt, p.created_at
		FROM (SELECT id, thread_id, position, left(source, $5) AS excerpt, created_at FROM posts
		      WHERE author_id = $1 AND deleted_at IS NULL AND hidden_at IS NULL
		        AND (created_at, id) < ($3, $2)
		        AND EXISTS (SELECT 1 FROM threads vt WHERE vt.id = posts.thread_id
		                    AND vt.deleted_at IS NULL AND vt.hidden_at IS NULL AND vt.category_id = ANY($6))
		      ORDER BY created_at DESC, id DESC LIMIT $4) p
		JOIN threads t ON t.id = p.thread_id
		ORDER BY p.created_at DESC, p.id DESC`, memberID, beforeID, beforeAt, limit+1, 4*memberPostExcerptRunes, visible)
	if err != nil {
		return nil, MemberActivityCursor{}, fmt.Errorf("member posts: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[MemberPost])
	if err != nil {
		return nil, MemberActivityCursor{}, fmt.Errorf("member posts: %w", err)
	}
	var next MemberActivityCursor
	if len(list) > limit {
		list = list[:limit]
		next = MemberActivityCursor{At: list[limit-1].CreatedAt, ID: list[limit-1].ID}
	}
	for i := range list {
		list[i].Excerpt = excerpt(list[i].Excerpt, memberPostExcerptRunes)
	}
	return list, next, nil
}

// excerpt collapses whitespace and cuts to n characters, marking the cut.
func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n])) + "…"
}
