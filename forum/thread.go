package forum

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Thread is a conversation: a title and its posts, the first of which (position 1) opens it.
type Thread struct {
	ID         int64  `db:"id"`
	CategoryID int64  `db:"category_id"`
	AuthorID   int64  `db:"author_id"`
	ActorID    *int64 `db:"actor_id"`
	Title      string `db:"title"`
	// APID is set for threads that live on another server (their context collection's id).
	APID       string     `db:"ap_id"`
	CreatedAt  time.Time  `db:"created_at"`
	LastPostAt time.Time  `db:"last_post_at"`
	LastPostID *int64     `db:"last_post_id"`
	PostCount  int        `db:"post_count"`
	LockedAt   *time.Time `db:"locked_at"`
	PinnedAt   *time.Time `db:"pinned_at"`
	HiddenAt   *time.Time `db:"hidden_at"`
	DeletedAt  *time.Time `db:"deleted_at"`
	// Suppressed is the limit its author's or category's moderation puts on the thread
	// (domain_rule.go): 0 shows it, 1 keeps it out of lists and shows it to their followers only, 2
	// shows it to staff only.
	Suppressed DomainLimit `db:"suppressed"`
}

// Locked reports whether only staff may still reply.
func (t Thread) Locked() bool { return t.LockedAt != nil }

// Pinned reports whether the thread is listed first on its category's page.
func (t Thread) Pinned() bool { return t.PinnedAt != nil }

// listed reports whether the thread is in its category's lists for everyone: not deleted, hidden
// or suppressed. Only such a thread's posts move the category's last activity, which every visitor
// sees on the home page (refreshCategoryActivity reads the same rule).
func (t Thread) listed() bool { return t.DeletedAt == nil && t.HiddenAt == nil && t.Suppressed == 0 }

// Author is the public face of whoever wrote a thread or post, scanned flat (pgx fills embedded
// structs as if their fields were the outer struct's).
type Author struct {
	AuthorUsername    string `db:"author_username"`
	AuthorDomain      string `db:"author_domain"`
	AuthorDisplayName string `db:"author_display_name"`
	AuthorAPID        string `db:"author_ap_id"`
	AuthorURL         string `db:"author_url"`
	AuthorAvatarURL   string `db:"author_avatar_url"`
	// AuthorWithheld: the viewer may not know who wrote it (a post of a limited server, Post.Withheld);
	// every other field is empty.
	AuthorWithheld bool `db:"-"`
}

// AuthorLocal reports whether the author is a member here.
func (a Author) AuthorLocal() bool { return a.AuthorDomain == "" && !a.AuthorWithheld }

// AuthorHandle is username for members and username@domain for remote people.
func (a Author) AuthorHandle() string {
	if a.AuthorLocal() {
		return a.AuthorUsername
	}
	return a.AuthorUsername + "@" + a.AuthorDomain
}

// AuthorName is what pages show: the display name, else the handle.
func (a Author) AuthorName() string {
	if a.AuthorDisplayName != "" {
		return a.AuthorDisplayName
	}
	return a.AuthorHandle()
}

const (
	threadColumns = `t.id, t.category_id, t.author_id, t.actor_id, t.title, coalesce(t.ap_id, '') AS ap_id, t.created_at,
		t.last_post_at, t.last_post_id, t.post_count, t.locked_at, t.pinned_at, t.hidden_at, t.deleted_at, t.suppressed`
	authorColumns = `au.username AS author_username, coalesce(au.domain, '') AS author_domain,
		au.display_name AS author_display_name, coalesce(au.ap_id, '') AS author_ap_id,
		coalesce(au.url, '') AS author_url, coalesce(au.avatar_url, '') AS author_avatar_url`
)

// authorProbe joins the author of each row as au, for authorColumns, given the column holding the
// author's id (a fixed name in this package, never caller input). It is a LATERAL subquery with a
// LIMIT, which PostgreSQL cannot flatten into a plain join, so it stays one primary-key probe per
// row whatever the statistics say: as a plain join, a page of 30 rows on the benchmark's seed
// (5,500 actors) got plans that hashed the whole actors table, a sequential scan of every actor
// on every page that grows with each remote actor the forum learns of (BENCHMARKS.md, "Read
// path"). Authors are NOT NULL foreign keys, so the inner join loses no row.
func authorProbe(authorID string) string {
	return ` JOIN LATERAL (SELECT a.username, a.domain, a.display_name, a.ap_id, a.url, a.avatar_url
		FROM actors a WHERE a.id = ` + authorID + ` LIMIT 1) au ON true`
}

// ThreadView is a thread as one viewer sees it: with its author, its category, and what the
// viewer may do there.
type ThreadView struct {
	Thread
	Author
	Category Category   `db:"-"`
	Can      Permission `db:"-"`
}

// CanReply reports whether the viewer may reply now: allowed in the category, and the thread open
// (staff may answer in locked threads, to explain why they locked them).
func (t ThreadView) CanReply() bool {
	return t.Can.Reply && t.DeletedAt == nil && (!t.Locked() || t.Can.Moderate)
}

// Thread titles and post bodies, in characters.
const (
	MaxTitleLen = 200
	MaxBodyLen  = 32000
)

// NewThread is the input to CreateThread.
type NewThread struct {
	CategoryID int64
	Title      string
	Body       string
}

// normalizeTitle makes a title one clean line (cleanLine): a bell or a bidirectional override
// has no place in a thread list.
func normalizeTitle(s string) string { return cleanLine(s) }

func validateTitle(v *ValidationError, title string) {
	if title == "" {
		v.Add("title", "is required")
	} else if n := len([]rune(title)); n > MaxTitleLen {
		v.Add("title", "must be at most %d characters (it has %d)", MaxTitleLen, n)
	}
}

func validateBody(v *ValidationError, body string) {
	if !hasVisibleText(body) {
		v.Add("body", "is required")
	} else if n := len([]rune(body)); n > MaxBodyLen {
		v.Add("body", "must be at most %d characters (it has %d)", MaxBodyLen, n)
	}
}

// CreateThread starts a thread in a category: the thread row and its opening post in one
// transaction, with the Create activity federation publishes.
func (f *Forum) CreateThread(ctx context.Context, by Viewer, in NewThread) (Thread, Post, error) {
	if err := checkText("title", in.Title); err != nil {
		return Thread{}, Post{}, err
	}
	in.Title = normalizeTitle(in.Title)
	v := &ValidationError{}
	validateTitle(v, in.Title)
	validateBody(v, in.Body)
	if err := v.Err(); err != nil {
		return Thread{}, Post{}, err
	}
	rendered := f.markup.RenderMarkdown(in.Body)
	var threadID, postID int64
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		actor, err := f.actingPoster(ctx, tx, by)
		if err != nil {
			return err
		}
		c, err := categoryByIDOn(ctx, tx, in.CategoryID)
		if err != nil {
			return err
		}
		perm, err := f.Permissions(ctx, actor, c)
		if err != nil {
			return err
		}
		switch {
		case !perm.See:
			return fmt.Errorf("category %d: %w", c.ID, ErrNotFound)
		case !perm.Start:
			return fmt.Errorf("start a thread in %s: %w", c.Slug, ErrForbidden)
		}
		if err := lockNewThreads(ctx, tx, actor.ActorID); err != nil {
			return err
		}
		if same, opener, ok, err := recentSameThread(ctx, tx, actor.ActorID, c.ID, in.Title, in.Body); err != nil || ok {
			threadID, postID = same, opener // the same form sent again: the thread it started answers
			return err
		}
		if err := f.spendPostBudget(ctx, tx, actor); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO threads (category_id, author_id, title) VALUES ($1, $2, $3) RETURNING id`,
			c.ID, actor.ActorID, in.Title).Scan(&threadID); err != nil {
			return err
		}
		if err := countNewThread(ctx, tx, c.ID, threadID); err != nil {
			return err
		}
		placed, err := f.insertPost(ctx, tx, postInsert{
			ThreadID: threadID, AuthorID: actor.ActorID, Source: in.Body, SourceKind: "markdown", HTML: rendered.HTML,
			Mentions: rendered.Mentions, Quotes: rendered.Quotes,
		})
		if err != nil {
			return err
		}
		postID = placed.ID
		_, err = f.recordActivity(ctx, tx, NewActivity{Verb: VerbCreate, ActorID: actor.ActorID, ThreadID: &threadID, PostID: &postID, CategoryID: &c.ID})
		return err
	})
	if err != nil {
		return Thread{}, Post{}, fmt.Errorf("create thread: %w", err)
	}
	tv, err := f.ThreadByID(ctx, by, threadID)
	if err != nil {
		return Thread{}, Post{}, err
	}
	p, err := f.PostByID(ctx, by, postID)
	return tv.Thread, p, err
}

// ThreadByID loads a thread as v sees it. A thread v may not see is ErrNotFound (its existence is
// not revealed); a deleted one is ErrGone except to staff.
func (f *Forum) ThreadByID(ctx context.Context, v Viewer, id int64) (ThreadView, error) {
	tv, err := scanThreadRow(f.db.Query(ctx, threadByIDSQL, id))
	if err != nil {
		return ThreadView{}, fmt.Errorf("thread %d: %w", id, err)
	}
	return f.viewThread(ctx, v, tv)
}

// threadByIDSQL reads a thread and its author ($1 the thread).
const threadByIDSQL = "SELECT " + threadColumns + ", " + authorColumns + `
	FROM threads t JOIN actors au ON au.id = t.author_id WHERE t.id = $1`

// scanThreadRow reads threadByIDSQL's row; no row is ErrNotFound.
func scanThreadRow(rows pgx.Rows, err error) (ThreadView, error) {
	if err != nil {
		return ThreadView{}, err
	}
	tv, err := pgx.CollectExactlyOneRow(rows, scanThreadView)
	if errors.Is(err, pgx.ErrNoRows) {
		return ThreadView{}, ErrNotFound
	}
	return tv, err
}

// viewThread completes a thread read by threadByIDSQL for v: its category, what v may do there,
// and whether v may read it at all.
func (f *Forum) viewThread(ctx context.Context, v Viewer, tv ThreadView) (ThreadView, error) {
	var err error
	// The definition from the cache (category_cache.go): ThreadView.Category's counters are zero.
	if tv.Category, err = f.categoryDefinition(ctx, tv.CategoryID); err != nil {
		return ThreadView{}, err
	}
	if tv.Can, err = f.Permissions(ctx, v, tv.Category); err != nil {
		return ThreadView{}, err
	}
	if err := threadVisible(v, tv.Can, tv.Thread); err != nil {
		return ThreadView{}, err
	}
	if err := f.suppressedThreadVisible(ctx, f.db, v, tv.Can, tv.Thread, tv.Category.ActorID); err != nil {
		return ThreadView{}, err
	}
	return tv, nil
}

// threadVisible applies the reading rules: the category must be visible, a hidden thread is seen
// only by staff and its author, a deleted one only by staff.
func threadVisible(v Viewer, p Permission, t Thread) error {
	switch {
	case !p.See:
		return fmt.Errorf("thread %d: %w", t.ID, ErrNotFound)
	case t.DeletedAt != nil && !p.Moderate:
		return fmt.Errorf("thread %d: %w", t.ID, ErrGone)
	case t.HiddenAt != nil && !p.Moderate && (!v.SignedIn() || t.AuthorID != v.ActorID):
		return fmt.Errorf("thread %d: %w", t.ID, ErrNotFound)
	}
	return nil
}

// threadForWrite locks a thread's row for the rest of tx and returns it with its category and what
// v may do there, after the reading rules. Every change to a thread or its posts starts here, so
// concurrent replies, edits and moderation of one thread are serialised.
func (f *Forum) threadForWrite(ctx context.Context, tx pgx.Tx, v Viewer, id int64) (Thread, Category, Permission, error) {
	rows, err := tx.Query(ctx, "SELECT "+threadColumns+" FROM threads t WHERE t.id = $1 FOR NO KEY UPDATE", id)
	if err != nil {
		return Thread{}, Category{}, Permission{}, err
	}
	t, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Thread])
	if err != nil {
		return Thread{}, Category{}, Permission{}, notFound(err, fmt.Sprintf("thread %d", id))
	}
	c, err := categoryByIDOn(ctx, tx, t.CategoryID)
	if err != nil {
		return Thread{}, Category{}, Permission{}, err
	}
	p, err := f.Permissions(ctx, v, c)
	if err != nil {
		return Thread{}, Category{}, Permission{}, err
	}
	if err := threadVisible(v, p, t); err != nil {
		return Thread{}, Category{}, Permission{}, err
	}
	if err := f.suppressedThreadVisible(ctx, tx, v, p, t, c.ActorID); err != nil {
		return Thread{}, Category{}, Permission{}, err
	}
	return t, c, p, nil
}

// How many posts a thread page shows: DefaultPostsPerPage unless Options.PostsPerPage says
// otherwise, within MinPostsPerPage and MaxPostsPerPage.
const (
	DefaultPostsPerPage = 30
	MinPostsPerPage     = 10
	MaxPostsPerPage     = 100
)

// PostsPerPage is how many posts a thread page shows: page N holds positions
// (N-1)*PostsPerPage+1 to N*PostsPerPage. It is set once, when the forum is made, because a page
// number in a link, a notification or a kept page must name the same posts for as long as the
// process runs.
func (f *Forum) PostsPerPage() int { return f.perPage }

// PageOf is the thread page a position falls on.
func (f *Forum) PageOf(position int) int { return (position-1)/f.perPage + 1 }

// ThreadPage is one page of a thread.
type ThreadPage struct {
	Thread ThreadView
	Posts  []Post
	Page   int
	Pages  int
	// Watch is the reader's level for the thread; filled by ReadThreadPage for members.
	Watch ThreadWatch
	// NotificationsRead is how many of the reader's unread notifications the page marked read
	// (ReadThreadPage): the header, whose count came with the session, shows that many fewer.
	NotificationsRead int
}

// ThreadPageOf loads page n (from 1) of a thread for v. Pages are position ranges, so page 500 of a
// long thread costs what page 1 does. A page past the end is ErrNotFound.
func (f *Forum) ThreadPageOf(ctx context.Context, v Viewer, threadID int64, n int) (ThreadPage, error) {
	return f.threadPageOf(ctx, v, threadID, n, threadReadsLikes)
}

// maxPosition bounds the positions a page or cursor may ask for: positions are int4 in the
// database, and a page or cursor past it (?page=71582789, cursor=2147483617) failed to encode, a
// 500 for anyone, where one a little lower is simply past the thread's end.
const maxPosition = math.MaxInt32 - MaxPostsPerPage

func (f *Forum) threadPageOf(ctx context.Context, v Viewer, threadID int64, n int, likes likesReader) (ThreadPage, error) {
	if n < 1 || n > maxPosition/f.perPage {
		return ThreadPage{}, fmt.Errorf("thread %d page %d: %w", threadID, n, ErrNotFound)
	}
	first := (n-1)*f.perPage + 1
	tv, posts, err := f.threadAndPosts(ctx, v, threadID, first, first+f.perPage-1, likes)
	if err != nil {
		return ThreadPage{}, err
	}
	pages := max(f.PageOf(tv.PostCount), 1)
	if n > pages {
		return ThreadPage{}, fmt.Errorf("thread %d page %d of %d: %w", threadID, n, pages, ErrNotFound)
	}
	return ThreadPage{Thread: tv, Posts: posts, Page: n, Pages: pages}, nil
}

// threadAndPosts reads a thread for v with its posts at positions first to last. The thread's
// row and its posts are a shared read (shared_reads.go): read once for every viewer, then
// completed for v here. A shared read's two statements go to PostgreSQL together (a pipelined
// batch), with v's likes among those posts when v is signed in: a thread page waits for one round
// trip, not two. When the read was kept from an earlier request, v's likes are one small
// statement, unless the caller reads them itself (likes == callerReadsLikes: ReadThreadPage
// reads them with its read mark).
func (f *Forum) threadAndPosts(ctx context.Context, v Viewer, threadID int64, first, last int, likes likesReader) (ThreadView, []Post, error) {
	var liked []int64
	likesRead := false
	pr, err := readShared(f, sharedKey{kind: sharedPostRange, a: threadID, b: int64(first), c: int64(last)},
		func() (postRange, int, error) {
			var likesOf int64
			if v.SignedIn() && likes == threadReadsLikes {
				likesOf, likesRead = v.ActorID, true
			}
			pr, l, err := f.readPostRange(ctx, threadID, first, last, likesOf)
			liked = l
			return pr, pr.size(), err
		})
	if err != nil {
		return ThreadView{}, nil, err
	}
	tv, err := f.viewThread(ctx, v, pr.thread)
	if err != nil {
		return ThreadView{}, nil, err
	}
	posts := slices.Clone(pr.posts) // the shared copy is never changed
	if v.SignedIn() && likes == threadReadsLikes && len(posts) > 0 {
		if !likesRead {
			if liked, err = f.likedAmong(ctx, v, posts); err != nil {
				return ThreadView{}, nil, err
			}
		}
		markLiked(posts, liked)
	}
	if err := f.withholdFromViewer(ctx, v, tv.Can, posts); err != nil {
		return ThreadView{}, nil, err
	}
	return tv, posts, nil
}

// ThreadPostsAfter lists up to limit posts after a position (0 for the start): the API's cursor
// pagination. next is the position to continue after, 0 at the end.
func (f *Forum) ThreadPostsAfter(ctx context.Context, v Viewer, threadID int64, after, limit int) (ThreadView, []Post, int, error) {
	if limit <= 0 || limit > MaxPostsPerPage {
		limit = f.perPage
	}
	if after < 0 {
		return ThreadView{}, nil, 0, Invalid("cursor", "is not valid")
	}
	after = min(after, maxPosition) // past any thread's end: an empty page, as any cursor past it
	tv, posts, err := f.threadAndPosts(ctx, v, threadID, after+1, after+limit, threadReadsLikes)
	if err != nil {
		return ThreadView{}, nil, 0, err
	}
	next := 0
	if len(posts) > 0 && posts[len(posts)-1].Position < tv.PostCount {
		next = posts[len(posts)-1].Position
	}
	return tv, posts, next, nil
}

// PostLocation says where a post is: its thread and the page it is on (for /p/{id} links).
func (f *Forum) PostLocation(ctx context.Context, v Viewer, postID int64) (threadID int64, page int, err error) {
	var position int
	err = f.db.QueryRow(ctx, `SELECT thread_id, position FROM posts WHERE id = $1`, postID).Scan(&threadID, &position)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, fmt.Errorf("post %d: %w", postID, ErrNotFound)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("post %d: %w", postID, err)
	}
	if _, err := f.ThreadByID(ctx, v, threadID); err != nil {
		return 0, 0, err
	}
	return threadID, f.PageOf(position), nil
}
