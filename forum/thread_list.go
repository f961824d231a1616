package forum

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Lists of threads are ordered by last activity and paged by keyset on (last_post_at, id), never
// OFFSET: page 1,000 costs what page 1 does, and a thread bumped while someone pages does not make
// them see a row twice. The queries are written limit-first (PERFORMANCE.md): the inner SELECT
// walks threads_category_activity or threads_activity and stops at the limit, and only those rows
// are joined to authors and categories.

// ThreadsPerPage is the length of a thread list page.
const ThreadsPerPage = 30

// ThreadSummary is a thread as a list shows it.
type ThreadSummary struct {
	Thread
	Author
	CategorySlug       string `db:"category_slug"`
	CategoryDomain     string `db:"category_domain"`
	CategoryTitle      string `db:"category_title"`
	LastPosterName     string `db:"last_poster_name"`
	LastPosterUsername string `db:"last_poster_username"`
	// Unread is how many posts inside the viewer's unread window they have not read (read_state.go);
	// 0 for guests.
	Unread int `db:"unread"`
}

// CategoryHandle is slug for local categories and slug@domain for remote ones.
func (s ThreadSummary) CategoryHandle() string {
	if s.CategoryDomain == "" {
		return s.CategorySlug
	}
	return s.CategorySlug + "@" + s.CategoryDomain
}

// ThreadList is one page of a list. Pinned is filled on the first page of a category only. Next is
// the cursor of the following page, "" on the last one.
type ThreadList struct {
	Pinned  []ThreadSummary
	Threads []ThreadSummary
	Next    string
	// Level is, in a category's list (CategoryThreads), the viewer's watch level for the category
	// (CategoryLevel's answer), read by the list statement itself so a member's category page does
	// not spend a round trip on it; empty in other lists.
	Level WatchLevel
}

// ThreadCursor is a position in a list: the last row of the previous page.
type ThreadCursor struct {
	LastPostAt time.Time
	ID         int64
}

// String encodes the cursor for a URL.
func (c ThreadCursor) String() string {
	return strconv.FormatInt(c.LastPostAt.UnixMicro(), 10) + "_" + strconv.FormatInt(c.ID, 10)
}

// ParseThreadCursor decodes a cursor; "" is the start of the list.
func ParseThreadCursor(s string) (*ThreadCursor, error) {
	if s == "" {
		return nil, nil
	}
	ts, id, ok := strings.Cut(s, "_")
	micros, err1 := strconv.ParseInt(ts, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || n <= 0 {
		return nil, Invalid("cursor", "is not a cursor this server gave out")
	}
	return &ThreadCursor{LastPostAt: time.UnixMicro(micros), ID: n}, nil
}

// summaryJoins join a page of threads (t, already limited) to what a summary shows.
var summaryJoins = authorProbe("t.author_id") + `
	JOIN categories c ON c.id = t.category_id
	LEFT JOIN posts lp ON lp.id = t.last_post_id AND lp.suppressed = 0
	LEFT JOIN actors la ON la.id = lp.author_id`

const summaryBaseColumns = threadColumns + ", " + authorColumns + `, c.slug AS category_slug,
	coalesce(c.domain, '') AS category_domain, c.title AS category_title,
	coalesce(nullif(la.display_name, ''), la.username, '') AS last_poster_name,
	coalesce(la.username, '') AS last_poster_username`

// summaryColumns are a summary's columns with no viewer (feeds): nothing is unread.
const summaryColumns = summaryBaseColumns + ", 0 AS unread"

// summarySelect returns the columns and joins of summaries. A member's carry their unread counts
// (computed per listed row, after the limit), their actor id being parameter $n; a guest's are the
// plain summary, so guests pay nothing for unread tracking, not even a larger plan.
func summarySelect(member bool, n int) (columns, joins string) {
	if !member {
		return summaryColumns, summaryJoins
	}
	return summaryBaseColumns + ", " + unmutedUnreadColumn(n), summaryJoins + unreadJoins(n)
}

// listArgs are a list query's parameters: the first ones, the member's actor id when signed in,
// and the cursor when there is one (the order categoryThreadsSQL and latestThreadsSQL number them).
func listArgs(v Viewer, cur *ThreadCursor, first ...any) []any {
	if v.SignedIn() {
		first = append(first, v.ActorID)
	}
	if cur != nil {
		first = append(first, cur.LastPostAt, cur.ID)
	}
	return first
}

// CategoryThreads lists a category's threads for v, pinned ones first on the first page. The rows
// are a shared read (shared_reads.go), the same for every viewer. A member who finds them kept
// has their unread counts and watch level read for them (readerState), in one small statement;
// one who does not reads the rows with their own state in one statement, as they were, and the
// rows are kept without it.
func (f *Forum) CategoryThreads(ctx context.Context, v Viewer, c Category, cursor string, limit int) (ThreadList, error) {
	perm, err := f.Permissions(ctx, v, c)
	if err != nil {
		return ThreadList{}, err
	}
	if !perm.See {
		return ThreadList{}, fmt.Errorf("category %s: %w", c.Slug, ErrNotFound)
	}
	cur, err := ParseThreadCursor(cursor)
	if err != nil {
		return ThreadList{}, err
	}
	limit = listLimit(limit)
	list, err := f.readSharedList(ctx, v, listKey(sharedThreadList, c.ID, cur, limit), nil, c.ID, Tracking, func() (ThreadList, error) {
		return f.categoryRows(ctx, v, c, cur, limit)
	})
	if err != nil {
		return ThreadList{}, fmt.Errorf("threads of %s: %w", c.Slug, err)
	}
	return list, nil
}

// categoryRows reads a page of a category's list for v: a member's rows carry their unread
// counts, and the list their watch level.
func (f *Forum) categoryRows(ctx context.Context, v Viewer, c Category, cur *ThreadCursor, limit int) (ThreadList, error) {
	// A member's rows carry their level for the category (categoryLevelColumn), the same in every row.
	var level *string
	var extra []any
	if v.SignedIn() {
		extra = []any{&level}
	}
	var list ThreadList
	if cur == nil {
		rows, err := f.db.Query(ctx, categoryFirstPageSQL(v.SignedIn(), limit+1), listArgs(v, nil, c.ID)...)
		threads, err := collectSummaries(rows, err, extra...)
		if err != nil {
			return ThreadList{}, err
		}
		// Pinned threads come first; the others, never pinned, after them.
		n := 0
		for n < len(threads) && threads[n].PinnedAt != nil {
			n++
		}
		list.Pinned = threads[:n:n]
		list.Threads, list.Next = cutPage(threads[n:], limit)
	} else {
		rows, err := f.db.Query(ctx, categoryThreadsSQL(v.SignedIn(), limit+1), listArgs(v, cur, c.ID)...)
		threads, err := collectSummaries(rows, err, extra...)
		if err != nil {
			return ThreadList{}, err
		}
		list.Threads, list.Next = cutPage(threads, limit)
	}
	var err error
	switch {
	case level != nil:
		list.Level = WatchLevel(*level)
	case v.SignedIn() && len(list.Pinned)+len(list.Threads) == 0:
		// No row came back to carry the level: an empty category, or a page past its end.
		if list.Level, err = f.CategoryLevel(ctx, v, c.ID); err != nil {
			return ThreadList{}, err
		}
	default:
		list.Level = Tracking // a guest, or a member without a row in member_categories
	}
	return list, nil
}

// withoutReaderState is a copy of the list as a guest sees it: no unread counts, and the level
// given (Tracking for a category's list, none for the latest).
func (l ThreadList) withoutReaderState(level WatchLevel) ThreadList {
	out := ThreadList{Pinned: slices.Clone(l.Pinned), Threads: slices.Clone(l.Threads), Next: l.Next, Level: level}
	for _, rows := range [][]ThreadSummary{out.Pinned, out.Threads} {
		for i := range rows {
			rows[i].Unread = 0
		}
	}
	return out
}

// listKey names a list's page in the shared reads: what the list is of (a), the cursor, the length.
func listKey(kind sharedKind, a int64, cur *ThreadCursor, limit int) sharedKey {
	key := sharedKey{kind: kind, a: a, d: int64(limit)}
	if cur != nil {
		key.b, key.c = cur.LastPostAt.UnixMicro(), cur.ID
	}
	return key
}

// sharedList is a list as the shared reads keep it: its rows as a guest sees them, and the
// categories they were read for (the latest list's; nil for a category's).
type sharedList struct {
	ThreadList
	scope []int64
}

// readSharedList reads a list through the shared reads (shared_reads.go). load reads it for v, a
// member's rows with their unread counts, in one statement; the rows are then kept without them.
// A member who finds the rows kept has their state read for them (readerState, with their level
// for categoryID; 0 for none). guestLevel is the level of a list read without a member's state.
// scope is what the key's hash stands for, if anything: a kept list read for another scope with
// the same hash is not served, and load runs.
func (f *Forum) readSharedList(ctx context.Context, v Viewer, key sharedKey, scope []int64, categoryID int64,
	guestLevel WatchLevel, load func() (ThreadList, error)) (ThreadList, error) {
	var own *ThreadList // the viewer's list, when they read it themselves
	shared, err := readShared(f, key, func() (sharedList, int, error) {
		list, err := load()
		if err != nil {
			return sharedList{}, 0, err
		}
		if v.SignedIn() {
			mine := list
			own = &mine
			list = list.withoutReaderState(guestLevel)
		}
		return sharedList{ThreadList: list, scope: scope}, list.size(), nil
	})
	switch {
	case err != nil:
		return ThreadList{}, err
	case own != nil:
		return *own, nil
	case !slices.Equal(shared.scope, scope): // two scopes, one hash: this one is read afresh
		return load()
	}
	list := shared.withoutReaderState(guestLevel) // copies: the shared rows are never changed
	if v.SignedIn() {
		if err := f.readerState(ctx, v, categoryID, &list); err != nil {
			return ThreadList{}, err
		}
	}
	return list, nil
}

// readerStateSQL is, for member $1, their watch level for category $3 and the unread counts of the
// threads whose ids, post counts, last activity and categories are $2, $4, $5 and $6 that have any
// (unreadJoins, unmutedUnreadColumn: a few index probes a thread; none counts for a muted one). The threads' own columns come from the shared
// list rather than from the table: 33 threads' state took 0.19-0.20 ms so, 0.22-0.36 ms reading
// them by id (the 1M-thread seed, generic plans, best 3 of 10).
//
// The arrays are read through scalar subqueries so that PostgreSQL keeps its generic plan. A plan
// made for the arguments sees how many threads there are, and for the few of a deep page (most of
// its threads are older than the window) looks cheaper than the generic plan, which guesses ten;
// after enough such pages PostgreSQL made a plan for every call: 597 plans in 733 calls under
// `make bench-read`, 0.22 ms of planning against 0.07-0.09 ms of execution on the seed. Through a
// subquery the length is unknown to both, so the generic plan wins, and it is the same index
// probes per thread whatever their number: correlated subqueries into posts and member_threads,
// which no statistics turn into a hash of the table (InboundGroupToApply's reads could not take
// the same way for that reason).
var readerStateSQL = `WITH u AS (
		SELECT t.id, ` + unmutedUnreadColumn(1) + `
		FROM unnest((SELECT $2::bigint[]), (SELECT $4::int[]), (SELECT $5::timestamptz[]), (SELECT $6::bigint[]))
			AS t(id, post_count, last_post_at, category_id)` + unreadJoins(1) + `)
	SELECT (SELECT mc.level FROM member_categories mc WHERE mc.category_id = $3 AND mc.member_id = $1),
		ARRAY(SELECT id FROM u WHERE unread > 0), ARRAY(SELECT unread FROM u WHERE unread > 0)`

// readerState fills in a member's unread counts and category watch level on a list (categoryID 0,
// as for the latest list: no level). Only threads active inside the longest possible window are
// asked about: an older one has nothing unread.
func (f *Forum) readerState(ctx context.Context, v Viewer, categoryID int64, list *ThreadList) error {
	windowStart := time.Now().AddDate(0, 0, -UnreadWindowDays-1)
	var ids, categories []int64
	var postCounts []int32
	var lastPosts []time.Time
	for _, rows := range [][]ThreadSummary{list.Pinned, list.Threads} {
		for _, t := range rows {
			if t.LastPostAt.After(windowStart) {
				ids, postCounts, lastPosts = append(ids, t.ID), append(postCounts, int32(t.PostCount)), append(lastPosts, t.LastPostAt)
				categories = append(categories, t.CategoryID)
			}
		}
	}
	var level *string
	var unreadIDs []int64
	var unread []int32
	if err := f.db.QueryRow(ctx, readerStateSQL, v.ActorID, ids, categoryID, postCounts, lastPosts, categories).Scan(&level, &unreadIDs, &unread); err != nil {
		return fmt.Errorf("unread state: %w", err)
	}
	if level != nil {
		list.Level = WatchLevel(*level)
	}
	for _, rows := range [][]ThreadSummary{list.Pinned, list.Threads} {
		for i := range rows {
			if k := slices.Index(unreadIDs, rows[i].ID); k >= 0 {
				rows[i].Unread = int(unread[k])
			}
		}
	}
	return nil
}

// size is about what the list holds in memory, for the shared reads' bound.
func (l ThreadList) size() int {
	n := 256 + len(l.Next)
	for _, rows := range [][]ThreadSummary{l.Pinned, l.Threads} {
		for _, t := range rows {
			n += 512 + len(t.Title) + len(t.APID) + t.Author.size() + len(t.CategorySlug) + len(t.CategoryDomain) +
				len(t.CategoryTitle) + len(t.LastPosterName) + len(t.LastPosterUsername)
		}
	}
	return n
}

// LatestThreads lists the threads of every category v may see, by last activity. Like a
// category's list (CategoryThreads), the rows are a shared read, kept per set of visible
// categories, and a member's unread counts are read for them.
func (f *Forum) LatestThreads(ctx context.Context, v Viewer, cursor string, limit int) (ThreadList, error) {
	visible, err := f.VisibleCategoryIDs(ctx, v)
	if err != nil {
		return ThreadList{}, err
	}
	cur, err := ParseThreadCursor(cursor)
	if err != nil {
		return ThreadList{}, err
	}
	limit = listLimit(limit)
	if len(visible) == 0 {
		return ThreadList{}, nil
	}
	key := listKey(sharedLatestList, int64(categorySetHash(visible)), cur, limit)
	list, err := f.readSharedList(ctx, v, key, visible, 0, "", func() (ThreadList, error) {
		return f.latestRows(ctx, v, visible, cur, limit)
	})
	if err != nil {
		return ThreadList{}, fmt.Errorf("latest threads: %w", err)
	}
	return list, nil
}

// latestRows reads a page of the latest list of the visible categories for v: a member's rows
// carry their unread counts.
func (f *Forum) latestRows(ctx context.Context, v Viewer, visible []int64, cur *ThreadCursor, limit int) (ThreadList, error) {
	rows, err := f.db.Query(ctx, latestThreadsSQL(cur != nil, v.SignedIn(), limit+1), listArgs(v, cur, visible)...)
	threads, err := collectSummaries(rows, err)
	if err != nil {
		return ThreadList{}, err
	}
	var list ThreadList
	list.Threads, list.Next = cutPage(threads, limit)
	return list, nil
}

// categorySetHash names a list of category ids (in VisibleCategoryIDs' order, the same for every
// viewer of a set of roles) in a shared read's key; a hit is checked against the list itself.
func categorySetHash(ids []int64) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for _, id := range ids {
		binary.LittleEndian.PutUint64(b[:], uint64(id))
		h.Write(b[:])
	}
	return h.Sum64()
}

// categoryLevelColumn is a member's level for the category of a category list ($1 category, $2 the
// member's actor id; NULL when they have none, which means Tracking). It does not depend on the
// row, so PostgreSQL runs it once per statement (an InitPlan), one primary-key probe.
const categoryLevelColumn = `,
	(SELECT mc.level FROM member_categories mc WHERE mc.category_id = $1 AND mc.member_id = $2) AS category_level`

// maxPinned is how many pinned threads the first page of a category shows at most.
const maxPinned = 20

// categoryFirstPageSQL is a category's first page in one statement: its pinned threads (pinned
// first) and the first limit unpinned ones, each half limit-first on its own index, joined after
// ($1 category, then a member's actor id, whose rows also carry their unread counts and
// categoryLevelColumn). One statement instead of two, and the level read with them, make a
// member's category page that finds no shared copy two queries: the session and this.
func categoryFirstPageSQL(member bool, limit int) string {
	columns, joins, _ := listParts(false, member)
	if member {
		columns += categoryLevelColumn
	}
	return "SELECT " + columns + ` FROM (
		(SELECT * FROM threads
		 WHERE category_id = $1 AND pinned_at IS NOT NULL AND deleted_at IS NULL AND hidden_at IS NULL AND suppressed = 0
		 ORDER BY pinned_at DESC LIMIT ` + strconv.Itoa(maxPinned) + `)
		UNION ALL
		(SELECT * FROM threads
		 WHERE category_id = $1 AND deleted_at IS NULL AND hidden_at IS NULL AND suppressed = 0 AND pinned_at IS NULL
		 ORDER BY last_post_at DESC, id DESC LIMIT ` + strconv.Itoa(limit) + `)) t` + joins + `
	ORDER BY t.pinned_at DESC NULLS LAST, t.last_post_at DESC, t.id DESC`
}

// categoryThreadsSQL lists a category's unpinned threads after a cursor: $1 category, then a
// member's actor id (as in categoryFirstPageSQL), then the last row seen (listArgs). Without a
// cursor the list is categoryFirstPageSQL's, so no "$3 IS NULL OR ...": a cached generic plan
// could not use the row comparison as an index condition.
//
// The limit is written into the text, not passed as a parameter: a prepared statement's generic
// plan must guess a parameter's LIMIT (as a tenth of the rows), which makes it look worse than
// planning afresh, so PostgreSQL re-plans every execution, and planning a member's list costs more
// than running it (measured: 1.5 ms to plan, 0.8 ms to run). With the limit known (a handful of
// values, usually ThreadsPerPage+1), the cached generic plan is as good and is used.
func categoryThreadsSQL(member bool, limit int) string {
	columns, joins, cond := listParts(true, member)
	if member {
		columns += categoryLevelColumn
	}
	return "SELECT " + columns + ` FROM (
		SELECT * FROM threads
		WHERE category_id = $1 AND deleted_at IS NULL AND hidden_at IS NULL AND suppressed = 0 AND pinned_at IS NULL` + cond + `
		ORDER BY last_post_at DESC, id DESC LIMIT ` + strconv.Itoa(limit) + `) t` + joins + `
	ORDER BY t.last_post_at DESC, t.id DESC`
}

// latestThreadsSQL lists the threads of the categories in $1, then as categoryThreadsSQL.
func latestThreadsSQL(withCursor, member bool, limit int) string {
	columns, joins, cond := listParts(withCursor, member)
	return "SELECT " + columns + ` FROM (
		SELECT * FROM threads
		WHERE category_id = ANY($1) AND deleted_at IS NULL AND hidden_at IS NULL AND suppressed = 0` + cond + `
		ORDER BY last_post_at DESC, id DESC LIMIT ` + strconv.Itoa(limit) + `) t` + joins + `
	ORDER BY t.last_post_at DESC, t.id DESC`
}

// listParts are the columns, joins and cursor condition of a list query whose first parameter is
// taken.
func listParts(withCursor, member bool) (columns, joins, cond string) {
	next := 2
	columns, joins = summarySelect(member, next)
	if member {
		next++
	}
	if withCursor {
		cond = fmt.Sprintf(" AND (last_post_at, id) < ($%d, $%d)", next, next+1)
	}
	return columns, joins, cond
}

func listLimit(limit int) int {
	if limit <= 0 || limit > 100 {
		return ThreadsPerPage
	}
	return limit
}

// collectSummaries reads a list query's rows straight into the slice it returns (scanSummaryInto),
// sized for a page with its pinned threads: no copy of a summary per row, no regrowth. Columns after
// the summary's are scanned into extra, the same targets for every row.
func collectSummaries(rows pgx.Rows, err error, extra ...any) ([]ThreadSummary, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	threads := make([]ThreadSummary, 0, ThreadsPerPage+1+maxPinned)
	targets := make([]any, 0, summaryTargetCount+len(extra))
	for rows.Next() {
		threads = append(threads, ThreadSummary{})
		if err := rows.Scan(append(threads[len(threads)-1].summaryTargets(targets[:0]), extra...)...); err != nil {
			return nil, err
		}
	}
	return threads, rows.Err()
}

// cutPage keeps limit rows of the limit+1 fetched; the extra row only says whether a next page
// exists, and the cursor is the last row kept.
func cutPage(threads []ThreadSummary, limit int) ([]ThreadSummary, string) {
	if len(threads) <= limit {
		return threads, ""
	}
	threads = threads[:limit]
	last := threads[limit-1]
	return threads, ThreadCursor{LastPostAt: last.LastPostAt, ID: last.ID}.String()
}

// FeedEntry is a thread in a category's feed, with its opening post.
type FeedEntry struct {
	ThreadSummary
	Opener Post
}

// CategoryFeed lists a category's most recently active threads with their opening posts, for its
// Atom feed.
func (f *Forum) CategoryFeed(ctx context.Context, v Viewer, c Category, limit int) ([]FeedEntry, error) {
	perm, err := f.Permissions(ctx, v, c)
	if err != nil {
		return nil, err
	}
	if !perm.See {
		return nil, fmt.Errorf("category %s: %w", c.Slug, ErrNotFound)
	}
	limit = listLimit(limit)
	rows, err := f.db.Query(ctx, "SELECT "+summaryColumns+` FROM (
			SELECT * FROM threads WHERE category_id = $1 AND deleted_at IS NULL AND hidden_at IS NULL AND suppressed = 0
			ORDER BY last_post_at DESC, id DESC LIMIT $2) t`+summaryJoins+` ORDER BY t.last_post_at DESC, t.id DESC`, c.ID, limit)
	threads, err := collectSummaries(rows, err)
	if err != nil {
		return nil, fmt.Errorf("feed of %s: %w", c.Slug, err)
	}
	ids := make([]int64, len(threads))
	for i, t := range threads {
		ids[i] = t.ID
	}
	rows, err = f.db.Query(ctx, "SELECT "+postColumns(2)+` FROM posts p`+authorProbe("p.author_id")+`
		WHERE p.thread_id = ANY($1) AND p.position = 1`, ids, v.ActorID)
	if err != nil {
		return nil, fmt.Errorf("feed of %s: %w", c.Slug, err)
	}
	openers, err := pgx.CollectRows(rows, scanPost)
	if err != nil {
		return nil, fmt.Errorf("feed of %s: %w", c.Slug, err)
	}
	if err := f.prepareForViewer(ctx, v, perm, openers); err != nil {
		return nil, err
	}
	byThread := make(map[int64]Post, len(openers))
	for _, p := range openers {
		byThread[p.ThreadID] = p
	}
	entries := make([]FeedEntry, len(threads))
	for i, t := range threads {
		entries[i] = FeedEntry{ThreadSummary: t, Opener: byThread[t.ID]}
	}
	return entries, nil
}

// ThreadFeed returns a thread and its latest posts, newest first, for its Atom feed.
func (f *Forum) ThreadFeed(ctx context.Context, v Viewer, threadID int64, limit int) (ThreadView, []Post, error) {
	tv, err := f.ThreadByID(ctx, v, threadID)
	if err != nil {
		return ThreadView{}, nil, err
	}
	limit = listLimit(limit)
	posts, err := f.postsInRange(ctx, v, tv, max(tv.PostCount-limit+1, 1), tv.PostCount)
	if err != nil {
		return ThreadView{}, nil, err
	}
	for i, j := 0, len(posts)-1; i < j; i, j = i+1, j-1 {
		posts[i], posts[j] = posts[j], posts[i]
	}
	return tv, posts, nil
}
