package forum

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// SentBoost is a plain Announce of a post that this forum sent into microblog timelines (the
// category's boost of a thread, the thread actor's of a reply: documents "boost" and "relay"),
// with the inboxes it reached. A moderator who removes the post takes the boost back with an
// Undo to the same inboxes: Mastodon keeps a boost of a status it was not told to delete, and it
// accepts the Delete of a status only from the status's own server.
type SentBoost struct {
	Document ActivityDocument
	Audience []Recipient
}

// SentBoostsOf lists the boosts of a post that were sent, each with where it went.
func (f *Forum) SentBoostsOf(ctx context.Context, postID int64) ([]SentBoost, error) {
	rows, err := f.db.Query(ctx, `SELECT ad.activity_id, ad.name, ad.actor_id, ad.payload
		FROM activities ac JOIN activity_documents ad ON ad.activity_id = ac.id
		WHERE ac.post_id = $1 AND ac.verb IN ('create', 'announce') AND ad.name IN ('boost', 'relay')
		ORDER BY ad.activity_id, ad.name`, postID)
	if err != nil {
		return nil, fmt.Errorf("boosts of post %d: %w", postID, err)
	}
	docs, err := pgx.CollectRows(rows, pgx.RowToStructByName[ActivityDocument])
	if err != nil {
		return nil, fmt.Errorf("boosts of post %d: %w", postID, err)
	}
	out := make([]SentBoost, 0, len(docs))
	for _, d := range docs {
		to, err := f.sentInboxes(ctx, `ac.id = $1 AND dl.document = $2`, d.ActivityID, d.Name)
		if err != nil {
			return nil, fmt.Errorf("audience of %s of activity %d: %w", d.Name, d.ActivityID, err)
		}
		if len(to) > 0 {
			out = append(out, SentBoost{Document: d, Audience: to})
		}
	}
	return out, nil
}
