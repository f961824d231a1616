package forum

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Search is PostgreSQL full-text search over posts and thread titles (index: search_index.go,
// synonyms: search_synonyms.go). Results are ranked with ts_rank (a title match weighs ten times a
// body match), shown with ts_headline snippets, and paged by keyset on (rank, post id): the page
// after a cursor costs what the first does. Only what the searcher may read is found: posts in
// categories they may see, never deleted or hidden posts or threads.
//
// Ranking reads every candidate's document, so it is bounded: the newest SearchCandidates matches
// (after the filters) are ranked, and a query that matches more says so (SearchResults.Narrowed).
// On 10 million posts a common word matched 4 million, and ranking them all took 5-12 s and 2 GB
// of temporary files per search; ranking the newest 5,000 takes tens of milliseconds, and a
// forum's readers mostly want the recent posts of a broad search anyway. What still cannot be
// answered quickly (a phrase of common words that rarely stand together, a common word within
// dates) runs into searchTimeout and is refused with the advice to narrow it (ErrSearchTooBroad),
// rather than holding a database connection for seconds. Both plans are made for the actual
// arguments (a generic plan cannot tell a rare word from a common one).

// SearchQuery is what someone searches for.
type SearchQuery struct {
	// Text uses web search syntax: words, "a phrase", -excluded, or.
	Text string
	// Category is a local category's slug; its sub-categories are searched with it.
	Category string
	// Author is a member's username, or user@domain for someone on another server.
	Author string
	// After and Before are days (YYYY-MM-DD, UTC): posts published on or after After, and before
	// Before.
	After  string
	Before string
	Cursor string
	Limit  int
}

// Filtered reports whether anything but the text narrows the search.
func (q SearchQuery) Filtered() bool {
	return q.Category != "" || q.Author != "" || q.After != "" || q.Before != ""
}

// SearchHit is one post found.
type SearchHit struct {
	Post           Post
	Thread         Thread
	ThreadAuthor   Author
	CategorySlug   string
	CategoryDomain string
	CategoryTitle  string
	// Title is the thread's title and Snippet the text around the matches, as fragments, the
	// matching words marked. They are plain text: pages escape them like any other text.
	Title   []Fragment
	Snippet []Fragment
	Rank    float32
}

// Fragment is a piece of highlighted text.
type Fragment struct {
	Text  string
	Match bool
}

// SearchResults is one page of results. Next is the cursor of the following page, "" at the end.
// Narrowed says that more posts match than were ranked: the hits are the best of the newest
// SearchCandidates matches.
type SearchResults struct {
	Hits     []SearchHit
	Next     string
	Narrowed bool
}

// Search limits.
const (
	MaxSearchLen  = 200
	SearchPerPage = 20
	// SearchCandidates is how many of the newest matches are ranked (Options.SearchCandidates).
	SearchCandidates = 5000
	// searchTimeout bounds one search's statement (Options.SearchTimeout).
	searchTimeout = 3 * time.Second
)

// Highlight marks: two private-use characters, which searchText strips from indexed text, so in a
// snippet they can only come from ts_headline. Two more stand in for "<" and "&" while ts_headline
// works, because its parser takes "<b>" and "&amp;" in plain text for markup and drops them.
const (
	markStart  = "\uE000"
	markStop   = "\uE001"
	standInLT  = "\uE002"
	standInAmp = "\uE003"
)

// headlineIn is what ts_headline's input goes through (SQL translate: "<" and "&" to their stand-ins,
// marks dropped); fragments undoes it.
const (
	headlineFrom = "<&" + markStart + markStop
	headlineTo   = standInLT + standInAmp
)

var headlineOut = strings.NewReplacer(standInLT, "<", standInAmp, "&")

const (
	snippetOptions = "StartSel=" + markStart + ", StopSel=" + markStop +
		`, MaxWords=35, MinWords=15, ShortWord=0, MaxFragments=2, FragmentDelimiter=" … "`
	titleOptions = "StartSel=" + markStart + ", StopSel=" + markStop + ", HighlightAll=true"
)

// Search finds the posts v may read that match q, best first.
func (f *Forum) Search(ctx context.Context, v Viewer, q SearchQuery) (SearchResults, error) {
	q.Text = strings.TrimSpace(q.Text)
	verr := &ValidationError{}
	switch n := len([]rune(q.Text)); {
	case n == 0:
		verr.Add("q", "enter what to search for")
	case n > MaxSearchLen:
		verr.Add("q", "must be at most %d characters (it has %d)", MaxSearchLen, n)
	}
	after, errA := parseSearchDay(q.After)
	before, errB := parseSearchDay(q.Before)
	if errA != nil {
		verr.Add("after", "must be a date, YYYY-MM-DD")
	}
	if errB != nil {
		verr.Add("before", "must be a date, YYYY-MM-DD")
	}
	if after != nil && before != nil && !after.Before(*before) {
		verr.Add("before", "must be later than the start date")
	}
	rank, afterID, errC := parseSearchCursor(q.Cursor)
	if errC != nil {
		verr.Add("cursor", "is not a cursor this server gave out")
	}
	if err := verr.Err(); err != nil {
		return SearchResults{}, err
	}
	categories, err := f.searchCategories(ctx, v, q.Category)
	if err != nil {
		return SearchResults{}, err
	}
	var author *int64
	if q.Author != "" {
		id, err := f.actorIDByHandle(ctx, q.Author)
		if errors.Is(err, ErrNotFound) {
			return SearchResults{}, Invalid("author", "no one is known here as %q", q.Author)
		}
		if err != nil {
			return SearchResults{}, err
		}
		author = &id
	}
	limit := q.Limit
	if limit <= 0 || limit > 50 {
		limit = SearchPerPage
	}
	found, err := f.runSearch(ctx, q.Text, func(query, highlight string) (string, []any) {
		return searchSQLFor(author != nil), []any{query, categories, author, after, before, rank, afterID, limit + 1,
			highlight, v.ActorID, snippetOptions, headlineFrom, titleOptions, headlineTo, f.searchCandidates}
	})
	if err != nil {
		return SearchResults{}, fmt.Errorf("search %q: %w", q.Text, err)
	}
	var res SearchResults
	res.Narrowed = len(found) > 0 && found[0].Narrowed
	if len(found) > limit {
		found = found[:limit]
		last := found[limit-1]
		res.Next = strconv.FormatFloat(float64(last.Rank), 'g', -1, 32) + "_" + strconv.FormatInt(last.ID, 10)
	}
	posts := make([]Post, len(found))
	for i, r := range found {
		posts[i] = r.Post
	}
	// Deleted and hidden posts are never found, so nothing is withheld here; this checks the MACs.
	if err := f.prepareForViewer(ctx, v, Permission{}, posts); err != nil {
		return SearchResults{}, err
	}
	for i, r := range found {
		res.Hits = append(res.Hits, r.hit(posts[i]))
	}
	return res, nil
}

// ErrSearchTooBroad is a search that could not be answered within searchTimeout.
var ErrSearchTooBroad = Invalid("q", "this search matches too much to answer quickly: add a rarer word, "+
	"or narrow it by category, author or dates")

// errNothingToFind is a query of stop words or exclusions only: nothing the index can find.
var errNothingToFind = Invalid("q", "name at least one word to find: words as common as these are not indexed, "+
	"and a search cannot be only exclusions")

// runSearch parses text (web search syntax, the synonyms applied) and runs the statement that
// statement makes of the parsed query and its highlighting query, in one read-only transaction
// whose statements after the parse are bounded by f.searchTimeout, and planned for their arguments
// (QueryExecModeDescribeExec: an unnamed statement, planned at each execution). The parse sets the
// timeout too, so a search costs its page no more round trips than before it had one.
func (f *Forum) runSearch(ctx context.Context, text string, statement func(query, highlight string) (string, []any)) ([]searchRow, error) {
	var found []searchRow
	err := pgx.BeginTxFunc(ctx, f.db, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var query, highlight, timeout string
		var indexable bool
		if err := tx.QueryRow(ctx, `SELECT q::text, numnode(q) > 0 AND querytree(q) <> 'T', stoa_search_highlight_query(q)::text,
				set_config('statement_timeout', $2, true)
			FROM stoa_search_query($1) q`, text, strconv.FormatInt(f.searchTimeout.Milliseconds(), 10)).Scan(
			&query, &indexable, &highlight, &timeout); err != nil {
			return err
		}
		if !indexable {
			return errNothingToFind
		}
		sql, args := statement(query, highlight)
		rows, err := tx.Query(ctx, sql, append([]any{pgx.QueryExecModeDescribeExec}, args...)...)
		if err != nil {
			return err
		}
		found, err = pgx.CollectRows(rows, pgx.RowToStructByName[searchRow])
		return err
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "57014" { // query_canceled: the statement timeout
		return nil, ErrSearchTooBroad
	}
	return found, err
}

// searchSQLFor is searchSQL with its candidates taken newest first: by post id, or, for one
// author's posts, by publication time, which the index of an author's posts is ordered by.
func searchSQLFor(byAuthor bool) string {
	if byAuthor {
		return searchSQLByAuthor
	}
	return searchSQL
}

// searchSQL takes the newest SearchCandidates matches the searcher may read, ranks them, and only
// then joins, and cuts snippets for, the rows of the page: $1 the query, $2 the category ids
// searched, $3 the author, $4/$5 the date range, $6/$7 the cursor (rank, post id), $8 the limit,
// $9 the highlighting query, $10 the viewer, $11 and $13 the ts_headline options, $12 and $14 the
// translation of its input (headlineFrom, headlineTo), $15 the number of candidates.
var (
	searchSQL         = searchStatement("s.post_id DESC")
	searchSQLByAuthor = searchStatement("p.created_at DESC, s.post_id DESC")
)

func searchStatement(newestFirst string) string {
	return `WITH candidates AS MATERIALIZED (
		SELECT s.post_id, s.document
		FROM post_search s
		JOIN posts p ON p.id = s.post_id
		JOIN threads t ON t.id = p.thread_id
		WHERE s.document @@ $1::tsquery
			AND p.deleted_at IS NULL AND p.hidden_at IS NULL AND t.deleted_at IS NULL AND t.hidden_at IS NULL
			AND p.suppressed = 0 AND t.suppressed = 0
			AND t.category_id = ANY($2::bigint[])
			AND ($3::bigint IS NULL OR p.author_id = $3)
			AND ($4::timestamptz IS NULL OR p.created_at >= $4)
			AND ($5::timestamptz IS NULL OR p.created_at < $5)
		ORDER BY ` + newestFirst + `
		LIMIT $15)
	SELECT ` + postColumns(10) + `, r.rank, (SELECT count(*) FROM candidates) >= $15 AS narrowed,
		t.title AS thread_title, coalesce(t.ap_id, '') AS thread_ap_id, t.category_id AS thread_category_id,
		t.author_id AS thread_author_id, t.created_at AS thread_created_at, t.last_post_at AS thread_last_post_at,
		t.post_count AS thread_post_count, t.locked_at AS thread_locked_at, t.pinned_at AS thread_pinned_at,
		ta.username AS thread_author_username, coalesce(ta.domain, '') AS thread_author_domain,
		ta.display_name AS thread_author_display_name, coalesce(ta.ap_id, '') AS thread_author_ap_id,
		coalesce(ta.url, '') AS thread_author_url, coalesce(ta.avatar_url, '') AS thread_author_avatar_url,
		c.slug AS category_slug, coalesce(c.domain, '') AS category_domain, c.title AS category_title,
		ts_headline('english', translate(ps.body, $12, $14), $9::tsquery, $11) AS snippet,
		ts_headline('english', translate(t.title, $12, $14), $9::tsquery, $13) AS title_marked
	FROM (
		SELECT c.post_id, ts_rank(c.document, $1::tsquery, 1) AS rank
		FROM candidates c
		WHERE $6::real IS NULL OR (ts_rank(c.document, $1::tsquery, 1), c.post_id) < ($6, $7::bigint)
		ORDER BY rank DESC, c.post_id DESC
		LIMIT $8) r
	JOIN post_search ps ON ps.post_id = r.post_id
	JOIN posts p ON p.id = r.post_id
	JOIN actors au ON au.id = p.author_id
	JOIN threads t ON t.id = p.thread_id
	JOIN actors ta ON ta.id = t.author_id
	JOIN categories c ON c.id = t.category_id
	ORDER BY r.rank DESC, r.post_id DESC`
}

// searchRow is a post found, with its thread, flat as the query returns it.
type searchRow struct {
	Post
	Rank                    float32    `db:"rank"`
	Narrowed                bool       `db:"narrowed"`
	ThreadTitle             string     `db:"thread_title"`
	ThreadAPID              string     `db:"thread_ap_id"`
	ThreadCategoryID        int64      `db:"thread_category_id"`
	ThreadAuthorID          int64      `db:"thread_author_id"`
	ThreadCreatedAt         time.Time  `db:"thread_created_at"`
	ThreadLastPostAt        time.Time  `db:"thread_last_post_at"`
	ThreadPostCount         int        `db:"thread_post_count"`
	ThreadLockedAt          *time.Time `db:"thread_locked_at"`
	ThreadPinnedAt          *time.Time `db:"thread_pinned_at"`
	ThreadAuthorUsername    string     `db:"thread_author_username"`
	ThreadAuthorDomain      string     `db:"thread_author_domain"`
	ThreadAuthorDisplayName string     `db:"thread_author_display_name"`
	ThreadAuthorAPID        string     `db:"thread_author_ap_id"`
	ThreadAuthorURL         string     `db:"thread_author_url"`
	ThreadAuthorAvatarURL   string     `db:"thread_author_avatar_url"`
	CategorySlug            string     `db:"category_slug"`
	CategoryDomain          string     `db:"category_domain"`
	CategoryTitle           string     `db:"category_title"`
	Snippet                 string     `db:"snippet"`
	TitleMarked             string     `db:"title_marked"`
}

func (r searchRow) hit(p Post) SearchHit {
	return SearchHit{
		Post: p,
		Thread: Thread{ID: r.ThreadID, CategoryID: r.ThreadCategoryID, AuthorID: r.ThreadAuthorID, Title: r.ThreadTitle,
			APID: r.ThreadAPID, CreatedAt: r.ThreadCreatedAt, LastPostAt: r.ThreadLastPostAt, PostCount: r.ThreadPostCount,
			LockedAt: r.ThreadLockedAt, PinnedAt: r.ThreadPinnedAt},
		ThreadAuthor: Author{AuthorUsername: r.ThreadAuthorUsername, AuthorDomain: r.ThreadAuthorDomain,
			AuthorDisplayName: r.ThreadAuthorDisplayName, AuthorAPID: r.ThreadAuthorAPID, AuthorURL: r.ThreadAuthorURL,
			AuthorAvatarURL: r.ThreadAuthorAvatarURL},
		CategorySlug: r.CategorySlug, CategoryDomain: r.CategoryDomain, CategoryTitle: r.CategoryTitle,
		Title: fragments(r.TitleMarked), Snippet: fragments(r.Snippet), Rank: r.Rank,
	}
}

// fragments splits ts_headline's output at the marks.
func fragments(marked string) []Fragment {
	var out []Fragment
	match := false
	for marked != "" {
		i := strings.IndexAny(marked, markStart+markStop)
		if i < 0 {
			out = append(out, Fragment{Text: headlineOut.Replace(marked), Match: match})
			break
		}
		if i > 0 {
			out = append(out, Fragment{Text: headlineOut.Replace(marked[:i]), Match: match})
		}
		match = strings.HasPrefix(marked[i:], markStart)
		marked = marked[i+len(markStart):] // both marks are three bytes in UTF-8
	}
	return out
}

// searchCategories lists the ids searched: every category v may see, or the one named (a local
// slug) and its sub-categories.
func (f *Forum) searchCategories(ctx context.Context, v Viewer, slug string) ([]int64, error) {
	if slug == "" {
		return f.VisibleCategoryIDs(ctx, v)
	}
	visible, err := f.VisibleCategories(ctx, v)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, c := range visible {
		if c.Slug == NormalizeHandle(slug) {
			ids = append(ids, c.ID)
		}
	}
	if len(ids) == 0 {
		return nil, Invalid("category", "there is no category %q", slug)
	}
	for _, c := range visible {
		if c.ParentID != nil && *c.ParentID == ids[0] {
			ids = append(ids, c.ID)
		}
	}
	return ids, nil
}

func parseSearchDay(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), time.UTC)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func parseSearchCursor(s string) (*float32, *int64, error) {
	if s == "" {
		return nil, nil, nil
	}
	r, id, ok := strings.Cut(s, "_")
	rank, err1 := strconv.ParseFloat(r, 32)
	n, err2 := strconv.ParseInt(id, 10, 64)
	// A rank this server gave out is ts_rank's: finite and not negative.
	if !ok || err1 != nil || err2 != nil || n <= 0 || math.IsNaN(rank) || math.IsInf(rank, 0) || rank < 0 {
		return nil, nil, errors.New("bad cursor")
	}
	r32 := float32(rank)
	return &r32, &n, nil
}

// AccountByHandle finds a person by handle: a member by username, or a remote actor by
// user@domain (a leading @ is allowed). It answers report forms and search's author filter.
func (f *Forum) AccountByHandle(ctx context.Context, handle string) (Actor, error) {
	handle = strings.TrimPrefix(strings.TrimSpace(handle), "@")
	user, domain, remote := strings.Cut(handle, "@")
	var rows pgx.Rows
	var err error
	if remote {
		rows, err = f.db.Query(ctx, "SELECT "+actorColumns+` FROM actors a
			WHERE lower(a.username) = lower($1) AND a.domain = lower($2) AND a.kind <> 'group'
			ORDER BY a.id LIMIT 1`, user, domain)
	} else {
		rows, err = f.db.Query(ctx, "SELECT "+actorColumns+` FROM actors a
			WHERE a.domain IS NULL AND a.username = $1 AND a.kind = 'person'`, NormalizeHandle(user))
	}
	if err != nil {
		return Actor{}, fmt.Errorf("account %s: %w", handle, err)
	}
	a, err := pgx.CollectExactlyOneRow(rows, scanActor)
	if err != nil {
		return Actor{}, notFound(err, "account "+handle)
	}
	return a, nil
}

func (f *Forum) actorIDByHandle(ctx context.Context, handle string) (int64, error) {
	a, err := f.AccountByHandle(ctx, handle)
	return a.ID, err
}
