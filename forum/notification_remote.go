package forum

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// notifyRemotePost makes the notifications of a remote post in the transaction that stores it,
// when the Forum can write their mails' links (Options.Link); otherwise it queues the NotifyArgs
// job as a local post does. A local post queues the job to keep its request short; a remote post
// is stored by the inbox's apply job, already off any request, and there the job's own insert,
// fetch, transaction and completion cost PostgreSQL more than the notifications themselves: with
// them made here, the inbox benchmark's PostgreSQL CPU per reply fell from 2.68 to 1.70 ms with
// no notifications at all (BENCHMARKS.md has the figures with them made here).
//
// placed is the stored post, lt its thread (locked by tx) and c the thread's category. The
// permission snapshot must be loaded before tx began.
func (f *Forum) notifyRemotePost(ctx context.Context, tx pgx.Tx, placed placedPost, lt lockedThread, c Category,
	in postInsert, published time.Time) error {
	at := notifyTime(published)
	if f.link == nil {
		return f.queuePostNotifications(ctx, tx, placed.ID, at, in)
	}
	if time.Since(at) > notifyMaxAge {
		return nil
	}
	a := NotifyArgs{Event: NotifyPost, PostID: placed.ID, ActorID: in.AuthorID, Mentions: localMentions(in.Mentions)}
	ev := notifyEvent{PostID: placed.ID, ThreadID: lt.ID, CategoryID: c.ID, Position: placed.Position,
		InReplyToID: in.InReplyToID, ThreadAuthorID: lt.AuthorID, ThreadTitle: lt.Title, HTML: in.HTML}
	_, err := f.notifyInTx(ctx, tx, a, ev, c, f.link)
	return err
}
