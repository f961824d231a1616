package forum

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Edits, deletions and moderation of remote content, as other servers send them. The inbox decides
// who is asking (the verified signer) and, for moderation, checks that they moderate the Group the
// thread belongs to; these functions check again what the database can tell: only the author may
// edit or delete a post unless a moderator of a remote Group acts in that Group's mirror, and no
// remote moderator ever acts on a local category (SECURITY.md rule 4).

// RemoteEdit is an Update of a stored remote post.
type RemoteEdit struct {
	PostID   int64
	EditorID int64
	// ByModerator: the inbox checked that the editor moderates the (remote) category's Group.
	ByModerator bool
	HTML        string
	// Title renames the thread when the post opens it ("" keeps the title).
	Title     string
	Summary   string
	Sensitive bool
	// Updated is the object's updated time: an Update older than the last applied edit is stale
	// (deliveries reorder) and changes nothing.
	Updated   time.Time
	InboundID int64
}

// EditRemotePost applies an Update of a remote post, keeping the previous version in its history
// (the edit path local edits take). changed is false when nothing changed or the Update was stale.
func (f *Forum) EditRemotePost(ctx context.Context, in RemoteEdit) (changed bool, err error) {
	if len(in.HTML) > maxRemoteHTML {
		return false, Invalid("content", "is longer than %d bytes", maxRemoteHTML)
	}
	summary := plainDisplayName(in.Summary)
	if r := []rune(summary); len(r) > maxRemotePostSummary {
		summary = string(r[:maxRemotePostSummary])
	}
	html := f.markup.SanitizeHTML(in.HTML)
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		p, err := postForWrite(ctx, tx, in.PostID)
		if err != nil {
			return err
		}
		t, c, err := lockThread(ctx, f, tx, p.ThreadID)
		if err != nil {
			return err
		}
		if p, err = rereadUnderLock(ctx, tx, p); err != nil {
			return err
		}
		if err := remoteMayChange(p, c, in.EditorID, in.ByModerator); err != nil {
			return err
		}
		if p.DeletedAt != nil {
			return fmt.Errorf("post %d: %w", p.ID, ErrGone)
		}
		// Stale is older than the version stored, by the peer's own clock (migration 0104): when
		// this server applied it says nothing about when the author made it.
		var storedVersion *time.Time
		if err := tx.QueryRow(ctx, `SELECT remote_updated_at FROM posts WHERE id = $1`, p.ID).Scan(&storedVersion); err != nil {
			return err
		}
		if storedVersion != nil && !in.Updated.IsZero() && in.Updated.Before(*storedVersion) {
			return nil
		}
		if !in.Updated.IsZero() {
			if _, err := tx.Exec(ctx, `UPDATE posts SET remote_updated_at = $2 WHERE id = $1`, p.ID, in.Updated); err != nil {
				return err
			}
		}
		var title *string
		if in.Title != "" && p.Position == 1 {
			t := cutWords(normalizeTitle(in.Title), MaxTitleLen)
			title = &t
		}
		if changed, err = f.applyEdit(ctx, tx, p, t, in.EditorID, in.HTML, "html", html, title); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE posts SET summary = $2, sensitive = $3 WHERE id = $1 AND (summary <> $2 OR sensitive <> $3)`,
			p.ID, summary, in.Sensitive); err != nil {
			return err
		}
		if !changed {
			return nil
		}
		if in.ByModerator && in.EditorID != p.AuthorID {
			if err := f.logModeration(ctx, tx, Viewer{ActorID: in.EditorID}, ModerationEntry{Action: "remote_edit_post",
				PostID: &p.ID, ThreadID: &t.ID, CategoryID: &c.ID, TargetActorID: &p.AuthorID}); err != nil {
				return err
			}
		}
		return f.relayInbound(ctx, tx, c, t.ID, &p.ID, in.InboundID)
	})
	if err != nil {
		return false, fmt.Errorf("remote edit of post %d: %w", in.PostID, err)
	}
	return changed, nil
}

// remoteMayChange is the rule for remote edits and deletions: the post must have come from
// another server, and the actor must be its author, or a moderator of its remote category's Group.
func remoteMayChange(p postRow, c Category, actorID int64, byModerator bool) error {
	switch {
	case p.APID == "":
		return fmt.Errorf("post %d is local: %w", p.ID, ErrForbidden)
	case p.AuthorID == actorID:
		return nil
	case byModerator && !c.Local():
		return nil
	}
	return fmt.Errorf("actor %d may not change post %d: %w", actorID, p.ID, ErrForbidden)
}

// RemoteDeletion is a Delete of a stored remote post: by its author, or a removal by a moderator
// of its remote Group (Lemmy's Delete with a summary).
type RemoteDeletion struct {
	PostID      int64
	ActorID     int64
	ByModerator bool
	Reason      string
	InboundID   int64
}

// DeleteRemotePost deletes a remote post (its place stays, marked deleted, as for local ones); an
// opening post takes its thread with it. Its id is tombstoned, so the post cannot come back by a
// late or relayed Create. Deleting a deleted post changes nothing. A member's own post in a
// remote community's mirror may be removed this way too, by a moderator of that community.
func (f *Forum) DeleteRemotePost(ctx context.Context, in RemoteDeletion) (deleted bool, err error) {
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		p, err := postForWrite(ctx, tx, in.PostID)
		if err != nil {
			return err
		}
		t, c, err := lockThread(ctx, f, tx, p.ThreadID)
		if err != nil {
			return err
		}
		if p, err = rereadUnderLock(ctx, tx, p); err != nil {
			return err
		}
		if p.APID == "" {
			// A member's post in a remote community, removed by one of its moderators: it
			// goes here too, as on Lemmy the comment's home instance removes it.
			if !in.ByModerator || c.Local() {
				return fmt.Errorf("post %d is local: %w", p.ID, ErrForbidden)
			}
		} else {
			if err := remoteMayChange(p, c, in.ActorID, in.ByModerator); err != nil {
				return err
			}
			if err := tombstone(ctx, tx, p.APID); err != nil {
				return err
			}
		}
		if p.DeletedAt != nil {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE posts SET deleted_at = now() WHERE id = $1`, p.ID); err != nil {
			return err
		}
		if err := refreshLastPost(ctx, tx, p.ThreadID); err != nil {
			return err
		}
		if err := settleRemovedPost(ctx, tx, p.ID); err != nil {
			return err
		}
		deleted = true
		if p.Position == 1 && t.DeletedAt == nil {
			if err := deleteThreadRow(ctx, tx, t); err != nil {
				return err
			}
		}
		if in.ActorID != p.AuthorID {
			action := "remote_delete_post"
			if p.Position == 1 {
				action = "remote_delete_thread"
			}
			if err := f.logModeration(ctx, tx, Viewer{ActorID: in.ActorID}, ModerationEntry{Action: action, PostID: &p.ID,
				ThreadID: &t.ID, CategoryID: &c.ID, TargetActorID: &p.AuthorID, Reason: clipText(in.Reason, MaxReportReasonLen)}); err != nil {
				return err
			}
		}
		return f.relayInbound(ctx, tx, c, t.ID, &p.ID, in.InboundID)
	})
	if err != nil {
		return false, fmt.Errorf("remote delete of post %d: %w", in.PostID, err)
	}
	return deleted, nil
}

// RemoteThreadChange is a moderator's change to a thread of a remote category: Lemmy's Lock and
// featured Add/Remove, NodeBB's Lock, Move and Remove of a context.
type RemoteThreadChange struct {
	ThreadID int64
	// ActorID is the remote moderator (or the Group itself), checked by the inbox.
	ActorID int64
	Lock    *bool
	Pin     *bool
	// MoveTo is another remote category the thread now belongs to.
	MoveTo int64
	// Remove takes the thread out of its category (NodeBB's Remove of a context).
	Remove bool
	Reason string
}

// ChangeRemoteThread applies a remote moderator's change to a thread of a remote category, and
// logs it. Local threads and local categories are never moderated from elsewhere (ErrForbidden).
// Setting a state the thread has changes nothing.
func (f *Forum) ChangeRemoteThread(ctx context.Context, in RemoteThreadChange) (changed bool, err error) {
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		t, c, err := lockThread(ctx, f, tx, in.ThreadID)
		if err != nil {
			return err
		}
		if c.Local() {
			return fmt.Errorf("thread %d is in a local category: %w", t.ID, ErrForbidden)
		}
		log := func(action string, details []byte) error {
			changed = true
			return f.logModeration(ctx, tx, Viewer{ActorID: in.ActorID}, ModerationEntry{Action: action, ThreadID: &t.ID,
				CategoryID: &c.ID, TargetActorID: &t.AuthorID, Domain: c.Domain, Reason: clipText(in.Reason, MaxReportReasonLen),
				Details: details})
		}
		if in.Lock != nil && t.Locked() != *in.Lock {
			if _, err := tx.Exec(ctx, `UPDATE threads SET locked_at = CASE WHEN $2 THEN now() END WHERE id = $1`, t.ID, *in.Lock); err != nil {
				return err
			}
			if err := log(map[bool]string{true: "remote_lock_thread", false: "remote_unlock_thread"}[*in.Lock], nil); err != nil {
				return err
			}
		}
		if in.Pin != nil && t.Pinned() != *in.Pin {
			if _, err := tx.Exec(ctx, `UPDATE threads SET pinned_at = CASE WHEN $2 THEN now() END WHERE id = $1`, t.ID, *in.Pin); err != nil {
				return err
			}
			if err := log(map[bool]string{true: "remote_pin_thread", false: "remote_unpin_thread"}[*in.Pin], nil); err != nil {
				return err
			}
		}
		if in.MoveTo != 0 && in.MoveTo != c.ID && t.DeletedAt == nil {
			to, err := categoryInTx(ctx, tx, in.MoveTo)
			if err != nil {
				return err
			}
			if to.Local() {
				return fmt.Errorf("a remote thread cannot move into local category %s: %w", to.Slug, ErrForbidden)
			}
			if _, err := tx.Exec(ctx, `UPDATE threads SET category_id = $2 WHERE id = $1`, t.ID, to.ID); err != nil {
				return err
			}
			for _, m := range []struct {
				id    int64
				delta int
			}{{c.ID, -1}, {to.ID, 1}} {
				if _, err := tx.Exec(ctx, `UPDATE categories SET thread_count = thread_count + $2,
					post_count = post_count + $2 * $3 WHERE id = $1`, m.id, m.delta, t.PostCount); err != nil {
					return err
				}
				if err := refreshCategoryActivity(ctx, tx, m.id); err != nil {
					return err
				}
			}
			if err := log("remote_move_thread", []byte(fmt.Sprintf(`{"from": %d, "to": %d}`, c.ID, to.ID))); err != nil {
				return err
			}
		}
		if in.Remove && t.DeletedAt == nil {
			if err := deleteThreadRow(ctx, tx, t); err != nil {
				return err
			}
			if err := log("remote_remove_thread", nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("remote change of thread %d: %w", in.ThreadID, err)
	}
	return changed, nil
}
