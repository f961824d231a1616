package forum

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// What the external tests of domain moderation need to stand in for the inbox, which stores
// remote threads, replies and likes: the same insertion path (insertPost) the inbox uses.

// StoreRemoteThread stores a thread a remote author started in a category, with its opener.
func (f *Forum) StoreRemoteThread(ctx context.Context, categoryID, authorID int64, title, html, apID string) (threadID, postID int64, err error) {
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO threads (category_id, author_id, title, ap_id) VALUES ($1, $2, $3, $4) RETURNING id`,
			categoryID, authorID, title, apID+"#thread").Scan(&threadID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE categories SET thread_count = thread_count + 1 WHERE id = $1`, categoryID); err != nil {
			return err
		}
		placed, err := f.insertPost(ctx, tx, postInsert{ThreadID: threadID, AuthorID: authorID, APID: apID, URL: apID,
			Source: html, SourceKind: "html", HTML: f.markup.SanitizeHTML(html)})
		postID = placed.ID
		return err
	})
	return threadID, postID, err
}

// StoreRemoteReply stores a remote author's reply in a thread.
func (f *Forum) StoreRemoteReply(ctx context.Context, threadID, authorID int64, html, apID string) (int64, error) {
	var id int64
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		placed, err := f.insertPost(ctx, tx, postInsert{ThreadID: threadID, AuthorID: authorID, APID: apID, URL: apID,
			Source: html, SourceKind: "html", HTML: f.markup.SanitizeHTML(html)})
		id = placed.ID
		return err
	})
	return id, err
}

// StoreRemoteLike stores a remote actor's like of a post and counts it.
func (f *Forum) StoreRemoteLike(ctx context.Context, postID, actorID int64, apID string) error {
	return f.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO likes (post_id, actor_id, ap_id) VALUES ($1, $2, $3)`, postID, actorID, apID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE posts SET like_count = like_count + 1 WHERE id = $1`, postID)
		return err
	})
}
