package forum

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Moderation of threads and posts: lock, pin, hide, move (staff) and delete (the author or staff).
// Each action that other servers must hear of records an activity; each action by staff on
// someone else's content is written to the moderation log. Setting a state a thing already has is
// a no-op: no activity, no log line.

// moderation is what every moderation action starts from, inside its transaction.
type moderation struct {
	tx     pgx.Tx
	actor  Viewer
	thread Thread
	cat    Category
	perm   Permission
}

// moderateLiveThread is moderateThread for what changes a thread that is still there: locking,
// pinning, hiding or moving a deleted thread would change nothing anyone sees and only add lines
// to the moderation log, so it is refused (ErrGone).
func (f *Forum) moderateLiveThread(ctx context.Context, by Viewer, threadID int64, what string, fn func(m moderation) error) error {
	return f.moderateThread(ctx, by, threadID, what, func(m moderation) error {
		if m.thread.DeletedAt != nil {
			return fmt.Errorf("thread %d was deleted: %w", m.thread.ID, ErrGone)
		}
		return fn(m)
	})
}

// moderateThread runs fn with the thread locked, after checking that by is staff there.
func (f *Forum) moderateThread(ctx context.Context, by Viewer, threadID int64, what string, fn func(m moderation) error) error {
	err := f.inTx(ctx, func(tx pgx.Tx) error { return f.moderateThreadTx(ctx, tx, by, threadID, fn) })
	if err != nil {
		return fmt.Errorf("%s thread %d: %w", what, threadID, err)
	}
	return nil
}

// moderateThreadTx is moderateThread inside the caller's transaction (the moderation queue acts on
// a post and closes its report in one transaction).
func (f *Forum) moderateThreadTx(ctx context.Context, tx pgx.Tx, by Viewer, threadID int64, fn func(m moderation) error) error {
	actor, err := actingMember(ctx, tx, by)
	if err != nil {
		return err
	}
	t, c, perm, err := f.threadForWrite(ctx, tx, actor, threadID)
	if err != nil {
		return err
	}
	if !perm.Moderate {
		return fmt.Errorf("%w", ErrForbidden)
	}
	return fn(moderation{tx: tx, actor: actor, thread: t, cat: c, perm: perm})
}

// LockThread locks (only staff may reply) or unlocks a thread.
func (f *Forum) LockThread(ctx context.Context, by Viewer, threadID int64, locked bool, reason string) error {
	verb, action := VerbLock, "lock_thread"
	if !locked {
		verb, action = VerbUnlock, "unlock_thread"
	}
	return f.moderateLiveThread(ctx, by, threadID, action, func(m moderation) error {
		if m.thread.Locked() == locked {
			return nil
		}
		if _, err := m.tx.Exec(ctx, `UPDATE threads SET locked_at = CASE WHEN $2 THEN now() END WHERE id = $1`, threadID, locked); err != nil {
			return err
		}
		// The reason travels with the Lock (Lemmy shows a Lock's summary as the reason).
		var details map[string]any
		if reason = strings.TrimSpace(reason); reason != "" {
			details = map[string]any{"reason": reason}
		}
		return f.recordAndLog(ctx, m, verb, action, reason, details)
	})
}

// PinThread pins a thread to the top of its category's page (the Group's featured collection), or
// unpins it.
func (f *Forum) PinThread(ctx context.Context, by Viewer, threadID int64, pinned bool) error {
	verb, action := VerbPin, "pin_thread"
	if !pinned {
		verb, action = VerbUnpin, "unpin_thread"
	}
	return f.moderateLiveThread(ctx, by, threadID, action, func(m moderation) error {
		if m.thread.Pinned() == pinned {
			return nil
		}
		if _, err := m.tx.Exec(ctx, `UPDATE threads SET pinned_at = CASE WHEN $2 THEN now() END WHERE id = $1`, threadID, pinned); err != nil {
			return err
		}
		return f.recordAndLog(ctx, m, verb, action, "", nil)
	})
}

// HideThread hides a thread from everyone but staff and its author, or shows it again. Hiding is
// a local decision and reversible, so nothing is federated.
func (f *Forum) HideThread(ctx context.Context, by Viewer, threadID int64, hidden bool, reason string) error {
	action := hideAction("thread", hidden)
	return f.moderateLiveThread(ctx, by, threadID, action, func(m moderation) error {
		if (m.thread.HiddenAt != nil) == hidden {
			return nil
		}
		if _, err := m.tx.Exec(ctx, `UPDATE threads SET hidden_at = CASE WHEN $2 THEN now() END WHERE id = $1`, threadID, hidden); err != nil {
			return err
		}
		if hidden {
			if err := settleHiddenThreadNotifications(ctx, m.tx, m.thread); err != nil {
				return err
			}
		} else if err := f.restoreSettledNotifications(ctx, m, nil); err != nil {
			return err
		}
		if err := refreshCategoryActivity(ctx, m.tx, m.cat.ID); err != nil {
			return err
		}
		return f.logModeration(ctx, m.tx, m.actor, ModerationEntry{Action: action, ThreadID: &threadID, CategoryID: &m.cat.ID,
			TargetActorID: &m.thread.AuthorID, Reason: reason})
	})
}

// HidePost hides a post from everyone but staff and its author (its place stays, with a notice),
// or shows it again.
func (f *Forum) HidePost(ctx context.Context, by Viewer, postID int64, hidden bool, reason string) error {
	action := hideAction("post", hidden)
	threadID, err := f.threadOfPost(ctx, postID)
	if err != nil {
		return err
	}
	return f.moderateThread(ctx, by, threadID, action, func(m moderation) error {
		return f.hidePostIn(ctx, m, postID, hidden, reason)
	})
}

// hidePostIn hides or shows a post of the thread m moderates.
func (f *Forum) hidePostIn(ctx context.Context, m moderation, postID int64, hidden bool, reason string) error {
	p, err := postForWrite(ctx, m.tx, postID)
	if err != nil {
		return err
	}
	if (p.HiddenAt != nil) == hidden {
		return nil
	}
	if _, err := m.tx.Exec(ctx, `UPDATE posts SET hidden_at = CASE WHEN $2 THEN now() END WHERE id = $1`, postID, hidden); err != nil {
		return err
	}
	if err := refreshLastPost(ctx, m.tx, p.ThreadID); err != nil {
		return err
	}
	if hidden {
		if err := settleRemovedPost(ctx, m.tx, postID); err != nil {
			return err
		}
		if err := closePostReports(ctx, m.tx, m.actor, postID, HideReportedPosts); err != nil {
			return err
		}
	} else {
		if err := unnoteRemovedPost(ctx, m.tx, postID); err != nil {
			return err
		}
		if err := f.restoreSettledNotifications(ctx, m, &postID); err != nil {
			return err
		}
	}
	return f.logModeration(ctx, m.tx, m.actor, ModerationEntry{Action: hideAction("post", hidden), PostID: &postID, ThreadID: &m.thread.ID,
		CategoryID: &m.cat.ID, TargetActorID: &p.AuthorID, Reason: reason})
}

// DeletePost soft-deletes a post: it keeps its position and shows as deleted. The author may delete
// their own post (not in a locked thread), staff any post. Deleting the opening post deletes the
// thread: it leaves the lists and its page answers 410 Gone, except to staff.
func (f *Forum) DeletePost(ctx context.Context, by Viewer, postID int64, reason string) error {
	err := f.inTx(ctx, func(tx pgx.Tx) error { return f.deletePostTx(ctx, tx, by, postID, reason) })
	if err != nil {
		return fmt.Errorf("delete post %d: %w", postID, err)
	}
	return nil
}

// deletePostTx is DeletePost inside the caller's transaction.
func (f *Forum) deletePostTx(ctx context.Context, tx pgx.Tx, by Viewer, postID int64, reason string) error {
	actor, err := actingMember(ctx, tx, by)
	if err != nil {
		return err
	}
	p, err := postForWrite(ctx, tx, postID)
	if err != nil {
		return err
	}
	t, c, perm, err := f.threadForWrite(ctx, tx, actor, p.ThreadID)
	if err != nil {
		return err
	}
	if p, err = rereadUnderLock(ctx, tx, p); err != nil {
		return err
	}
	own := p.AuthorID == actor.ActorID
	switch {
	case p.DeletedAt != nil:
		return nil
	case !own && !perm.Moderate:
		return ErrForbidden
	case t.Locked() && !perm.Moderate:
		return ErrLocked
	}
	if p.Position == 1 && !perm.Moderate {
		var others bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM posts WHERE thread_id = $1 AND author_id <> $2
				AND deleted_at IS NULL)`, t.ID, actor.ActorID).Scan(&others); err != nil {
			return err
		}
		if others {
			return ErrThreadHasReplies
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE posts SET deleted_at = now() WHERE id = $1`, postID); err != nil {
		return err
	}
	if err := refreshLastPost(ctx, tx, p.ThreadID); err != nil {
		return err
	}
	if err := settleRemovedPost(ctx, tx, postID); err != nil {
		return err
	}
	details := map[string]any{}
	if reason != "" {
		details["reason"] = reason
	}
	if p.Position == 1 {
		details["thread"] = true
		if err := deleteThreadRow(ctx, tx, t); err != nil {
			return err
		}
	}
	if _, err := f.recordActivity(ctx, tx, NewActivity{Verb: VerbDelete, ActorID: actor.ActorID, ThreadID: &t.ID, PostID: &postID,
		CategoryID: &c.ID, Details: details}); err != nil {
		return err
	}
	if perm.Moderate {
		if err := closePostReports(ctx, tx, actor, postID, DeleteReportedPosts); err != nil {
			return err
		}
	}
	if own {
		return nil
	}
	action := "delete_post"
	if p.Position == 1 {
		action = "delete_thread"
	}
	return f.logModeration(ctx, tx, actor, ModerationEntry{Action: action, PostID: &postID, ThreadID: &t.ID,
		CategoryID: &c.ID, TargetActorID: &p.AuthorID, Reason: reason})
}

// deleteThreadRow marks a thread deleted and takes it out of its category's counters.
func deleteThreadRow(ctx context.Context, tx pgx.Tx, t Thread) error {
	if _, err := tx.Exec(ctx, `UPDATE threads SET deleted_at = now() WHERE id = $1`, t.ID); err != nil {
		return err
	}
	if err := settleThreadNotifications(ctx, tx, t.ID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE categories SET thread_count = thread_count - 1, post_count = post_count - $2
		WHERE id = $1`, t.CategoryID, t.PostCount); err != nil {
		return err
	}
	return refreshCategoryActivity(ctx, tx, t.CategoryID)
}

// refreshCategoryActivity recomputes a category's last activity from the threads it lists (which
// clears its stripes' maxima: migration 0103's trigger).
func refreshCategoryActivity(ctx context.Context, tx pgx.Tx, categoryID int64) error {
	_, err := tx.Exec(ctx, `UPDATE categories SET last_post_at = (SELECT t.last_post_at FROM threads t
			WHERE t.category_id = $1 AND t.deleted_at IS NULL AND t.hidden_at IS NULL AND t.suppressed = 0
			ORDER BY t.last_post_at DESC, t.id DESC LIMIT 1)
		WHERE id = $1`, categoryID)
	return err
}

// MoveThread moves a thread to another local category. Staff only, and they must be able to see
// the destination.
func (f *Forum) MoveThread(ctx context.Context, by Viewer, threadID, toCategoryID int64) error {
	return f.moderateLiveThread(ctx, by, threadID, "move", func(m moderation) error {
		if m.cat.ID == toCategoryID {
			return nil
		}
		to, err := categoryByIDOn(ctx, m.tx, toCategoryID)
		if err != nil {
			return Invalid("category", "does not exist")
		}
		toPerm, err := f.Permissions(ctx, m.actor, to)
		if err != nil {
			return err
		}
		if !to.Local() || !m.cat.Local() || !toPerm.See {
			return Invalid("category", "must be a local category you can see")
		}
		if _, err := m.tx.Exec(ctx, `UPDATE threads SET category_id = $2 WHERE id = $1`, threadID, to.ID); err != nil {
			return err
		}
		// Moved out of some members' sight, its notifications stop counting for them; moved
		// back into it, those a move had settled count again (restoreSettledNotifications).
		there := m
		there.cat = to
		if err := f.restoreSettledNotifications(ctx, there, nil); err != nil {
			return err
		}
		for _, c := range []struct {
			id    int64
			delta int
		}{{m.cat.ID, -1}, {to.ID, 1}} {
			if _, err := m.tx.Exec(ctx, `UPDATE categories SET thread_count = thread_count + $2,
				post_count = post_count + $2 * $3 WHERE id = $1`, c.id, c.delta, m.thread.PostCount); err != nil {
				return err
			}
			if err := refreshCategoryActivity(ctx, m.tx, c.id); err != nil {
				return err
			}
		}
		from := m.cat.ID
		if _, err := f.recordActivity(ctx, m.tx, NewActivity{Verb: VerbMove, ActorID: m.actor.ActorID, ThreadID: &threadID,
			CategoryID: &to.ID, Details: map[string]any{"from": from}}); err != nil {
			return err
		}
		// category_id is the destination; details name both ends, since the row's category alone
		// cannot say where the thread came from.
		return f.logModeration(ctx, m.tx, m.actor, ModerationEntry{Action: "move_thread", ThreadID: &threadID, CategoryID: &to.ID,
			TargetActorID: &m.thread.AuthorID, Details: modDetails(map[string]any{"from": from, "to": to.ID})})
	})
}

// settleUnseenNotifications marks read the unread notifications about a thread just moved to
// category to, for the members whose role may not see it there: they can no longer open them,
// and the header must not keep counting them. Permissions follow the role alone (permission.go),
// so one check per role decides; admins see everything.
func (f *Forum) settleUnseenNotifications(ctx context.Context, tx pgx.Tx, threadID int64, to Category) error {
	var blind []Role
	for _, r := range []Role{RoleMember, RoleModerator} {
		p, err := f.Permissions(ctx, Viewer{Role: r}, to)
		if err != nil {
			return err
		}
		if !p.See {
			blind = append(blind, r)
		}
	}
	if len(blind) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE notifications n SET read_at = now(), settled_by_removal = true FROM members m
		WHERE m.actor_id = n.member_id AND m.role = ANY($2) AND n.read_at IS NULL
			AND n.post_id IN (SELECT p.id FROM posts p WHERE p.thread_id = $1)`, threadID, blind)
	if err != nil {
		return fmt.Errorf("settle notifications of thread %d moved out of sight: %w", threadID, err)
	}
	return nil
}

// recordAndLog records a thread-level activity by the moderator and logs it.
func (f *Forum) recordAndLog(ctx context.Context, m moderation, verb Verb, action, reason string, details map[string]any) error {
	if _, err := f.recordActivity(ctx, m.tx, NewActivity{Verb: verb, ActorID: m.actor.ActorID, ThreadID: &m.thread.ID,
		CategoryID: &m.cat.ID, Details: details}); err != nil {
		return err
	}
	return f.logModeration(ctx, m.tx, m.actor, ModerationEntry{Action: action, ThreadID: &m.thread.ID, CategoryID: &m.cat.ID,
		TargetActorID: &m.thread.AuthorID, Reason: reason})
}

// threadOfPost is the thread a post belongs to.
func (f *Forum) threadOfPost(ctx context.Context, postID int64) (int64, error) {
	var id int64
	if err := f.db.QueryRow(ctx, `SELECT thread_id FROM posts WHERE id = $1`, postID).Scan(&id); err != nil {
		return 0, notFound(err, fmt.Sprintf("post %d", postID))
	}
	return id, nil
}

func hideAction(what string, hidden bool) string {
	if hidden {
		return "hide_" + what
	}
	return "unhide_" + what
}

// refreshLastPost makes a thread's last post its newest one readers see, after a post was deleted,
// hidden or shown again: a reply deleted a moment after it was posted no longer keeps its thread
// at the top of the lists (nor does a hidden one), and a post shown again bumps it back. A thread
// whose every post is gone keeps what it had (its opener's deletion deletes it). When the thread's
// last post moved, so may its category's last activity, which the home page shows: it kept a
// deleted reply's time.
func refreshLastPost(ctx context.Context, tx pgx.Tx, threadID int64) error {
	rows, err := tx.Query(ctx, `UPDATE threads t SET last_post_at = lp.created_at, last_post_id = lp.id
		FROM (SELECT p.id, p.created_at FROM posts p
			WHERE p.thread_id = $1 AND p.deleted_at IS NULL AND p.hidden_at IS NULL
			ORDER BY p.position DESC LIMIT 1) lp
		WHERE t.id = $1 AND t.last_post_id IS DISTINCT FROM lp.id
		RETURNING t.category_id`, threadID)
	if err != nil {
		return fmt.Errorf("thread %d: last post: %w", threadID, err)
	}
	moved, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("thread %d: last post: %w", threadID, err)
	}
	for _, categoryID := range moved {
		if err := refreshCategoryActivity(ctx, tx, categoryID); err != nil {
			return fmt.Errorf("thread %d: its category's last activity: %w", threadID, err)
		}
	}
	return nil
}

// settleRemovedPost settles what a post just deleted or hidden leaves behind for readers:
//   - its unread notifications are marked read: their members can no longer open them (the
//     notifications page says so), and they must not keep counting in the header, which a
//     thread page's visit would otherwise have cleared;
//   - its position counts as read for every member who has opened the thread, so their unread
//     counts (a span of positions less what they read: read_state.go) and "jump to first
//     unread" skip a post they cannot read. Restoring it later leaves it read.
//
// The notifications it settles are marked so (settled_by_removal): showing the post again makes
// them unread again (restoreSettledNotifications).
func settleRemovedPost(ctx context.Context, tx pgx.Tx, postID int64) error {
	_, err := tx.Exec(ctx, `UPDATE notifications SET read_at = now(), settled_by_removal = true
		WHERE post_id = $1 AND read_at IS NULL`, postID)
	if err != nil {
		return fmt.Errorf("settle notifications of post %d: %w", postID, err)
	}
	_, err = tx.Exec(ctx, `UPDATE member_threads mt
		SET read_positions = mt.read_positions + int4multirange(int4range(p.position, p.position + 1))
		FROM posts p WHERE p.id = $1 AND mt.thread_id = p.thread_id AND NOT mt.read_positions @> p.position`, postID)
	if err != nil {
		return fmt.Errorf("mark removed post %d read: %w", postID, err)
	}
	// And for the members who have not opened the thread yet (read_state.go).
	_, err = tx.Exec(ctx, `INSERT INTO thread_removed_positions AS r (thread_id, positions)
		SELECT p.thread_id, int4multirange(int4range(p.position, p.position + 1)) FROM posts p WHERE p.id = $1
		ON CONFLICT (thread_id) DO UPDATE SET positions = r.positions + excluded.positions`, postID)
	if err != nil {
		return fmt.Errorf("note removed post %d: %w", postID, err)
	}
	return nil
}

// unnoteRemovedPost takes a post shown again out of its thread's removed positions: it counts as
// new again to those who never read it. (Readers whose sets settleRemovedPost filled keep it read.)
func unnoteRemovedPost(ctx context.Context, tx pgx.Tx, postID int64) error {
	_, err := tx.Exec(ctx, `UPDATE thread_removed_positions r
		SET positions = r.positions - int4multirange(int4range(p.position, p.position + 1))
		FROM posts p WHERE p.id = $1 AND r.thread_id = p.thread_id`, postID)
	if err != nil {
		return fmt.Errorf("unnote removed post %d: %w", postID, err)
	}
	return nil
}

// settleHiddenThreadNotifications is settleThreadNotifications for a thread hidden: its author and
// staff still read it (threadVisible), so theirs keep counting; a moderator's word to the author
// inside it is how a hide is explained.
func settleHiddenThreadNotifications(ctx context.Context, tx pgx.Tx, t Thread) error {
	_, err := tx.Exec(ctx, `UPDATE notifications n SET read_at = now(), settled_by_removal = true FROM members m
		WHERE m.actor_id = n.member_id AND m.role = 'member' AND n.member_id <> $2 AND n.read_at IS NULL
			AND n.post_id IN (SELECT p.id FROM posts p WHERE p.thread_id = $1)`, t.ID, t.AuthorID)
	if err != nil {
		return fmt.Errorf("settle notifications of hidden thread %d: %w", t.ID, err)
	}
	return nil
}

// settleThreadNotifications is settleRemovedPost's first part for every post of a thread deleted.
func settleThreadNotifications(ctx context.Context, tx pgx.Tx, threadID int64) error {
	_, err := tx.Exec(ctx, `UPDATE notifications SET read_at = now(), settled_by_removal = true
		WHERE post_id IN (SELECT p.id FROM posts p WHERE p.thread_id = $1) AND read_at IS NULL`, threadID)
	if err != nil {
		return fmt.Errorf("settle notifications of thread %d: %w", threadID, err)
	}
	return nil
}

// restoreSettledNotifications makes unread again what a removal settled (settled_by_removal) once
// the post (postID), or every post of the thread (nil), is shown again: a mention or a reply its
// member never saw is not lost with a hide undone. Posts still hidden or deleted, in a thread still
// hidden or deleted, keep theirs settled; members whose role may not see the thread where it is now
// get theirs settled again at once (settleUnseenNotifications).
func (f *Forum) restoreSettledNotifications(ctx context.Context, m moderation, postID *int64) error {
	_, err := m.tx.Exec(ctx, `UPDATE notifications n SET read_at = NULL, settled_by_removal = false
		FROM posts p JOIN threads t ON t.id = p.thread_id
		WHERE n.settled_by_removal AND p.id = n.post_id AND p.thread_id = $1 AND ($2::bigint IS NULL OR p.id = $2)
			AND `+readableAgainSQL, m.thread.ID, postID)
	if err != nil {
		return fmt.Errorf("restore notifications of thread %d: %w", m.thread.ID, err)
	}
	return f.settleUnseenNotifications(ctx, m.tx, m.thread.ID, m.cat)
}
