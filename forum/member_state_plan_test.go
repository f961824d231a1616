package forum

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stoa-forum/stoa/internal/testdb"
)

// TestAPagesLikesAndNotificationsAreFoundWithoutTheMembersOthers: a thread page looks up the
// reader's likes of its posts and marks read their notifications about them (ReadThreadPage,
// likedAmong). For a member with 20,000 likes and 20,000 unread notifications elsewhere, each
// lookup must read a handful of index pages, not one descent per post on the page nor every row
// of the member's (postsAmong and migration 0111 say why).
func TestAPagesLikesAndNotificationsAreFoundWithoutTheMembersOthers(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	ctx := context.Background()
	for _, s := range []string{
		`INSERT INTO actors (kind, username) VALUES ('person', 'reader'), ('group', 'cat')`,
		`INSERT INTO members (actor_id, email, password_hash) SELECT id, 'reader@example.test', 'not-a-hash' FROM actors WHERE kind = 'person'`,
		`INSERT INTO categories (actor_id, slug, title, position) SELECT id, 'cat', 'Cat', 1 FROM actors WHERE kind = 'group'`,
		`INSERT INTO threads (category_id, author_id, title, post_count)
			SELECT (SELECT id FROM categories), (SELECT id FROM actors WHERE kind = 'person'), 'long', 20050`,
		`INSERT INTO posts (thread_id, author_id, position, source, html)
			SELECT (SELECT id FROM threads), (SELECT id FROM actors WHERE kind = 'person'), g, 'post', '<p>post</p>'
			FROM generate_series(1, 20050) g`,
		`INSERT INTO likes (post_id, actor_id) SELECT p.id, p.author_id FROM posts p WHERE p.position <= 20000`,
		`INSERT INTO notifications (member_id, kind, actor_id, thread_id, post_id)
			SELECT p.author_id, 'reply', p.author_id, p.thread_id, p.id FROM posts p WHERE p.position <= 20000`,
		`ANALYZE`,
	} {
		if _, err := pool.Exec(ctx, s); err != nil {
			t.Fatalf("seed: %v\n%s", err, s)
		}
	}
	var member int64
	var page []int64 // the last page's 50 posts, none liked and none notified
	err := pool.QueryRow(ctx, `SELECT (SELECT actor_id FROM members),
		ARRAY(SELECT id FROM posts WHERE position > 20000 ORDER BY position)`).Scan(&member, &page)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := page[0], page[len(page)-1]
	for name, sql := range map[string]string{
		"likes":         `SELECT post_id FROM likes WHERE actor_id = $1 AND ` + postsAmong(2, 3, 4),
		"notifications": `SELECT id FROM notifications WHERE member_id = $1 AND read_at IS NULL AND ` + postsAmong(2, 3, 4),
	} {
		var out []byte
		err := pool.QueryRow(ctx, `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) `+sql, member, page, lo, hi).Scan(&out)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plans []struct {
			Plan struct {
				Rows      float64 `json:"Actual Rows"`
				HitBlocks int     `json:"Shared Hit Blocks"`
				ReadBlock int     `json:"Shared Read Blocks"`
			} `json:"Plan"`
		}
		if err := json.Unmarshal(out, &plans); err != nil {
			t.Fatal(err)
		}
		p := plans[0].Plan
		if p.Rows != 0 {
			t.Errorf("%s: %v rows found, want none", name, p.Rows)
		}
		if blocks := p.HitBlocks + p.ReadBlock; blocks > 10 {
			t.Errorf("%s: the lookup read %d blocks, want at most 10:\n%s", name, blocks, out)
		}
	}
}
