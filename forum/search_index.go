package forum

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The search index (post_search, migration 0052) is kept current in the transaction that changes a
// post: insertPost indexes a new post, applyEdit re-indexes an edited one (and the opener when the
// thread is renamed). The document itself is computed in SQL (stoa_search_document), where the
// synonym list is applied, so a change of that list can re-index from the stored text alone
// (search_synonyms.go); the text is the post's HTML reduced to plain text here, exactly as readers
// see it.

// searchText is what the index keeps of a post's HTML: its plain text, without the private-use
// characters snippets are built with (so no post can forge a highlight).
func searchText(html string) string {
	return strings.NewReplacer(markStart, "", markStop, "", standInLT, "", standInAmp, "").Replace(plainText(html))
}

// indexPost writes a post's search row. Only the opener (position 1) carries the title.
func indexPost(ctx context.Context, tx pgx.Tx, postID int64, position int, title, html string) error {
	b := &pgx.Batch{}
	queueIndexPost(b, postID, position, title, html)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("index post %d: %w", postID, err)
	}
	return nil
}

// queueIndexPosts writes the search rows of replies (no title: not openers) in one statement.
func queueIndexPosts(b *pgx.Batch, postIDs []int64, bodies []string) {
	b.Queue(`INSERT INTO post_search (post_id, body, document)
		SELECT x.post_id, x.body, stoa_search_document(NULL, x.body) FROM unnest($1::bigint[], $2::text[]) AS x(post_id, body)
		ON CONFLICT (post_id) DO UPDATE SET body = excluded.body, document = excluded.document`,
		postIDs, bodies)
}

// queueIndexPost adds the write of a post's search row to a batch (insertPost sends it with the
// post's other bookkeeping, in one round trip).
func queueIndexPost(b *pgx.Batch, postID int64, position int, title, html string) {
	var titleArg *string
	if position == 1 {
		titleArg = &title
	}
	b.Queue(`INSERT INTO post_search (post_id, body, document) VALUES ($1, $2, stoa_search_document($3, $2))
		ON CONFLICT (post_id) DO UPDATE SET body = excluded.body, document = excluded.document`,
		postID, searchText(html), titleArg)
}
