package forum

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// postRange is a thread and some of its posts as every viewer reads them (shared_reads.go): the
// thread's row before viewThread completes it for a viewer, the posts' HTML checked against its
// MAC (render.go), nothing withheld yet, and Liked false.
type postRange struct {
	thread ThreadView
	posts  []Post
}

// size is about what the range holds in memory, for the shared reads' bound.
func (r postRange) size() int {
	n := 512 + len(r.thread.Title) + r.thread.Author.size()
	for _, p := range r.posts {
		n += 400 + len(p.Source) + len(p.HTML) + len(p.HTMLMAC) + len(p.Summary) + len(p.APID) + len(p.URL) +
			p.Author.size()
	}
	return n
}

// size is the bytes of an author's strings.
func (a Author) size() int {
	return len(a.AuthorUsername) + len(a.AuthorDomain) + len(a.AuthorDisplayName) + len(a.AuthorAPID) +
		len(a.AuthorURL) + len(a.AuthorAvatarURL)
}

// likesReader says who reads a signed-in viewer's likes of a thread page's posts.
type likesReader uint8

const (
	// threadReadsLikes: threadAndPosts does, with the posts when it reads them or in a statement
	// of their own when they were shared.
	threadReadsLikes likesReader = iota
	// callerReadsLikes: the caller does, in a statement it runs anyway (ReadThreadPage's mark).
	callerReadsLikes
)

// likedInRangeSQL lists the posts at positions $2 to $3 of thread $1 that actor $4 likes.
const likedInRangeSQL = `SELECT p.id FROM posts p JOIN likes l ON l.post_id = p.id AND l.actor_id = $4
	WHERE p.thread_id = $1 AND p.position BETWEEN $2 AND $3`

// readPostRange reads a thread and its posts at positions first to last, and checks the posts'
// HTML, all in one round trip; with a viewer (likesOf not 0) also which of those posts they like.
func (f *Forum) readPostRange(ctx context.Context, threadID int64, first, last int, likesOf int64) (postRange, []int64, error) {
	b := &pgx.Batch{}
	b.Queue(threadByIDSQL, threadID)
	b.Queue(postsInRangeSQL, threadID, first, last, Guest.ActorID)
	if likesOf != 0 {
		b.Queue(likedInRangeSQL, threadID, first, last, likesOf)
	}
	br := f.db.SendBatch(ctx, b)
	tv, err := scanThreadRow(br.Query())
	if err != nil {
		_ = br.Close()
		return postRange{}, nil, fmt.Errorf("thread %d: %w", threadID, err)
	}
	var posts []Post
	var liked []int64
	rows, err := br.Query()
	if err == nil {
		posts, err = collectPosts(rows, last-first+1)
	}
	if err == nil && likesOf != 0 {
		if rows, err = br.Query(); err == nil {
			liked, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return postRange{}, nil, fmt.Errorf("posts of thread %d: %w", threadID, err)
	}
	if err := f.verifyHTML(ctx, posts); err != nil {
		return postRange{}, nil, err
	}
	return postRange{thread: tv, posts: posts}, liked, nil
}

// postsAmong is the condition "post_id is one of the list $ids", for rows found by member and
// post (likes_actor, notifications_unread), with the list's lowest and highest id as $lo and $hi.
// The range makes the lookup one short index scan: given the list alone, PostgreSQL 15 descends
// the index once per post, or tests the list against every row of the member's (a page's likes
// and unread notifications were half of its statement on the benchmark's seed: migration 0111).
func postsAmong(ids, lo, hi int) string {
	return fmt.Sprintf("post_id BETWEEN $%d AND $%d AND post_id = ANY($%d)", lo, hi, ids)
}

var likedAmongSQL = `SELECT post_id FROM likes WHERE actor_id = $1 AND ` + postsAmong(2, 3, 4)

// likedAmong lists which of posts v likes.
func (f *Forum) likedAmong(ctx context.Context, v Viewer, posts []Post) ([]int64, error) {
	ids := postIDs(posts)
	rows, err := f.db.Query(ctx, likedAmongSQL, v.ActorID, ids, slices.Min(ids), slices.Max(ids))
	var liked []int64
	if err == nil {
		liked, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	}
	if err != nil {
		return nil, fmt.Errorf("likes: %w", err)
	}
	return liked, nil
}

// markLiked sets Liked on the posts whose id is in liked.
func markLiked(posts []Post, liked []int64) {
	for i := range posts {
		posts[i].Liked = slices.Contains(liked, posts[i].ID)
	}
}

// postIDs are the posts' ids, in order.
func postIDs(posts []Post) []int64 {
	ids := make([]int64, len(posts))
	for i, p := range posts {
		ids[i] = p.ID
	}
	return ids
}
