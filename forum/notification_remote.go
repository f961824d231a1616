package forum

import (
	"context"
	"fmt"
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
	a, ev := remotePostEvent(placed, lt, c, in)
	_, err := f.notifyInTx(ctx, tx, a, ev, c, f.link)
	return err
}

// remotePostEvent is the notification event of a stored remote post, as the notification job
// would read it.
func remotePostEvent(placed placedPost, lt lockedThread, c Category, in postInsert) (NotifyArgs, notifyEvent) {
	return NotifyArgs{Event: NotifyPost, PostID: placed.ID, ActorID: in.AuthorID, Mentions: localMentions(in.Mentions)},
		notifyEvent{PostID: placed.ID, ThreadID: lt.ID, CategoryID: c.ID, Position: placed.Position,
			InReplyToID: in.InReplyToID, ThreadAuthorID: lt.AuthorID, ThreadTitle: lt.Title, HTML: in.HTML}
}

// notifyGroup is notifyRemotePost for the replies a group stored (remote_post_group.go), with
// their notification statements sent in one round trip: they run in order in the transaction, so
// each sees the mail the one before claimed, as one reply after another would. Then their mails.
func (f *Forum) notifyGroup(ctx context.Context, tx pgx.Tx, rs []*groupReply) error {
	type made struct {
		ev    notifyEvent
		c     Category
		notes []madeNotification
	}
	b := &pgx.Batch{}
	var all []made
	for _, r := range rs {
		pi := r.in.toInsert(r.author.ID, r.html)
		pi.ThreadID, pi.InReplyToID = r.thread.ID, &r.parent.ID
		placed := placedPost{ID: r.id, Position: r.position, CreatedAt: r.in.Published}
		if f.link == nil {
			if err := f.notifyRemotePost(ctx, tx, placed, *r.thread, r.cat, pi, r.in.Published); err != nil {
				return err
			}
			continue
		}
		if time.Since(notifyTime(r.in.Published)) > notifyMaxAge {
			continue
		}
		a, ev := remotePostEvent(placed, *r.thread, r.cat, pi)
		sql, args, err := f.notifyQuery(ctx, a, ev, r.cat)
		if err != nil {
			return err
		}
		b.Queue(sql, args...)
		all = append(all, made{ev: ev, c: r.cat})
	}
	if len(all) == 0 {
		return nil
	}
	br := tx.SendBatch(ctx, b)
	for i := range all {
		rows, err := br.Query()
		if err == nil {
			all[i].notes, err = pgx.CollectRows(rows, pgx.RowToStructByName[madeNotification])
		}
		if err != nil {
			_ = br.Close()
			return fmt.Errorf("notifications of post %d: %w", all[i].ev.PostID, err)
		}
	}
	if err := br.Close(); err != nil {
		return err
	}
	for _, m := range all {
		if err := f.mailNotifications(ctx, tx, m.ev, m.c, m.notes, f.link); err != nil {
			return err
		}
	}
	return nil
}
