package forum

import "github.com/jackc/pgx/v5"

// Hand-written scanning for the rows read on every page (a list's thread summaries, a thread's
// posts) and on every inbound activity (its signer's actor: the key lookup, the apply). pgx.RowToStructByName maps columns to fields by reflection on every row, which was the
// larger part of a list page's Go time (51 rows x 26 columns; BENCHMARKS.md, "Read path"). These
// functions name the targets in the order of the column lists they sit beside (threadColumns,
// authorColumns, summaryBaseColumns + unread, postColumns, actorColumns); scan_test.go checks each against
// RowToStructByName on real rows, so a column added to one list and not here fails a test.

// threadTargets appends the scan targets of threadColumns to dst.
func (t *Thread) threadTargets(dst []any) []any {
	return append(dst, &t.ID, &t.CategoryID, &t.AuthorID, &t.ActorID, &t.Title, &t.APID, &t.CreatedAt,
		&t.LastPostAt, &t.LastPostID, &t.PostCount, &t.LockedAt, &t.PinnedAt, &t.HiddenAt, &t.DeletedAt,
		(*int16)(&t.Suppressed))
}

// authorTargets appends the scan targets of authorColumns to dst.
func (a *Author) authorTargets(dst []any) []any {
	return append(dst, &a.AuthorUsername, &a.AuthorDomain, &a.AuthorDisplayName, &a.AuthorAPID, &a.AuthorURL, &a.AuthorAvatarURL)
}

// summaryTargetCount is the number of summarySelect's columns.
const summaryTargetCount = 27

// summaryTargets appends the scan targets of summarySelect's columns to targets.
func (s *ThreadSummary) summaryTargets(targets []any) []any {
	targets = s.authorTargets(s.threadTargets(targets))
	return append(targets, &s.CategorySlug, &s.CategoryDomain, &s.CategoryTitle, &s.LastPosterName,
		&s.LastPosterUsername, &s.Unread)
}

// scanSummary is pgx.RowToFunc for summarySelect's columns (collectSummaries does the same
// without a copy per row).
func scanSummary(row pgx.CollectableRow) (ThreadSummary, error) {
	var s ThreadSummary
	err := row.Scan(s.summaryTargets(make([]any, 0, summaryTargetCount))...)
	return s, err
}

// scanPost is pgx.RowToFunc for postColumns (collectPosts does the same without a copy per row).
func scanPost(row pgx.CollectableRow) (Post, error) {
	var p Post
	err := row.Scan(p.postTargets(make([]any, 0, postTargetCount))...)
	return p, err
}

// collectPosts reads postColumns rows straight into the slice it returns, sized for want rows (a
// position range's length), at most MaxPostsPerPage: the longest a page or an API batch reads.
func collectPosts(rows pgx.Rows, want int) ([]Post, error) {
	defer rows.Close()
	posts := make([]Post, 0, min(want, MaxPostsPerPage))
	targets := make([]any, 0, postTargetCount)
	for rows.Next() {
		posts = append(posts, Post{})
		if err := rows.Scan(posts[len(posts)-1].postTargets(targets[:0])...); err != nil {
			return nil, err
		}
	}
	return posts, rows.Err()
}

// postTargetCount is the number of postColumns.
const postTargetCount = 26

// postTargets appends the scan targets of postColumns to targets.
func (p *Post) postTargets(targets []any) []any {
	targets = append(targets, &p.ID, &p.ThreadID, &p.AuthorID, &p.Position, &p.InReplyToID, &p.APID, &p.URL,
		&p.Source, &p.SourceKind, &p.HTML, &p.HTMLMAC, &p.Summary, &p.Sensitive, &p.CreatedAt, &p.EditedAt,
		&p.HiddenAt, &p.DeletedAt, &p.LikeCount, (*int16)(&p.Suppressed))
	return append(p.authorTargets(targets), &p.Liked)
}

// scanThreadView is pgx.RowToFunc for threadColumns then authorColumns.
func scanThreadView(row pgx.CollectableRow) (ThreadView, error) {
	var tv ThreadView
	err := row.Scan(tv.authorTargets(tv.threadTargets(make([]any, 0, 21)))...)
	return tv, err
}

// actorTargetCount is the number of actorColumns.
const actorTargetCount = 30

// actorTargets appends the scan targets of actorColumns to dst.
func (a *Actor) actorTargets(dst []any) []any {
	return append(dst, &a.ID, &a.Kind, &a.Username, &a.Domain, &a.APID, &a.DisplayName, &a.SummaryHTML, &a.URL,
		&a.AvatarURL, &a.InboxURL, &a.SharedInboxURL, &a.OutboxURL, &a.FollowersURL, &a.FollowingURL, &a.FeaturedURL,
		&a.PublicKeyID, &a.PublicKeyPEM, &a.ManuallyApprovesFollowers, &a.Discoverable, &a.AlsoKnownAs, &a.MovedToAPID,
		&a.FetchedAt, &a.CreatedAt, &a.UpdatedAt, &a.SilencedAt, &a.SuspendedAt, &a.DeletedAt,
		(*int16)(&a.DomainLimit), &a.PostsRemovedAt, (*int16)(&a.Suppression))
}

// scanActor is pgx.RowToFunc for actorColumns.
func scanActor(row pgx.CollectableRow) (Actor, error) {
	var a Actor
	err := row.Scan(a.actorTargets(make([]any, 0, actorTargetCount))...)
	return a, err
}
