package forum

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostEdit is the input to EditPost. Title is only for the opening post: it renames the thread.
type PostEdit struct {
	Body  string
	Title *string
}

// EditPost changes a post's text, keeping what it said before in its history. The author may edit
// their own post (not in a locked thread); staff may edit any local post. Remote posts are edited
// only by their origin (an Update), never here: staff hide them instead.
func (f *Forum) EditPost(ctx context.Context, by Viewer, postID int64, in PostEdit) (Post, error) {
	v := &ValidationError{}
	validateBody(v, in.Body)
	if in.Title != nil {
		if err := checkText("title", *in.Title); err != nil {
			return Post{}, err
		}
		t := normalizeTitle(*in.Title)
		in.Title = &t
		validateTitle(v, t)
	}
	if err := v.Err(); err != nil {
		return Post{}, err
	}
	rendered := f.markup.RenderMarkdown(in.Body)
	html := rendered.HTML
	err := f.inTx(ctx, func(tx pgx.Tx) error {
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
			return fmt.Errorf("edit post %d: %w", postID, ErrGone)
		case p.APID != "":
			return fmt.Errorf("edit remote post %d: %w", postID, ErrForbidden)
		case !own && !perm.Moderate:
			return fmt.Errorf("edit post %d: %w", postID, ErrForbidden)
		case t.Locked() && !perm.Moderate:
			return fmt.Errorf("edit post %d: %w", postID, ErrLocked)
		case in.Title != nil && p.Position != 1:
			return Invalid("title", "only the opening post's edit can rename the thread")
		}
		changed, err := f.applyEdit(ctx, tx, p, t, actor.ActorID, in.Body, "markdown", html, in.Title)
		if err != nil || !changed {
			return err
		}
		var before Rendered
		if p.SourceKind == "markdown" {
			before = f.markup.RenderMarkdown(p.Source)
		}
		if err := f.queueEditMentions(ctx, tx, p.ID, p.AuthorID, before, rendered); err != nil {
			return err
		}
		if _, err = f.recordActivity(ctx, tx, NewActivity{Verb: VerbUpdate, ActorID: p.AuthorID, ThreadID: &t.ID, PostID: &p.ID, CategoryID: &c.ID,
			Details: map[string]any{"editor_id": actor.ActorID}}); err != nil {
			return err
		}
		if own {
			return nil
		}
		// Staff changing someone else's words is a moderation action like hiding them: the author
		// and other admins must be able to find out who did it.
		return f.logModeration(ctx, tx, actor, ModerationEntry{Action: "edit_post", PostID: &p.ID, ThreadID: &t.ID,
			CategoryID: &c.ID, TargetActorID: &p.AuthorID})
	})
	if err != nil {
		return Post{}, fmt.Errorf("edit post %d: %w", postID, err)
	}
	return f.PostByID(ctx, by, postID)
}

// postRow is the part of a post that writes need.
type postRow struct {
	ID         int64      `db:"id"`
	ThreadID   int64      `db:"thread_id"`
	AuthorID   int64      `db:"author_id"`
	Position   int        `db:"position"`
	APID       string     `db:"ap_id"`
	Source     string     `db:"source"`
	SourceKind string     `db:"source_kind"`
	HiddenAt   *time.Time `db:"hidden_at"`
	DeletedAt  *time.Time `db:"deleted_at"`
	LikeCount  int        `db:"like_count"`
}

// postForWrite loads a post for a change. Callers then lock its thread with threadForWrite: the
// thread lock is what serialises changes to a thread's posts, and read the post again under it
// (rereadUnderLock).
func postForWrite(ctx context.Context, tx pgx.Tx, id int64) (postRow, error) {
	rows, err := tx.Query(ctx, postForWriteSQL, id)
	if err != nil {
		return postRow{}, err
	}
	p, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[postRow])
	if err != nil {
		return postRow{}, notFound(err, fmt.Sprintf("post %d", id))
	}
	return p, nil
}

// rereadUnderLock reads p again once its thread's lock is held. postForWrite ran before the lock
// (it finds which thread to lock), so a change another holder of the lock committed meanwhile would
// go unseen: ten concurrent edits each kept the text they replaced as the history (nine versions
// lost), and an edit racing a delete edited the deleted post.
func rereadUnderLock(ctx context.Context, tx pgx.Tx, p postRow) (postRow, error) {
	return postForWrite(ctx, tx, p.ID)
}

const postForWriteSQL = `SELECT ` + postForWriteColumns + ` FROM posts WHERE id = $1`

// postForWriteColumns are a postRow's columns of the posts table.
const postForWriteColumns = `id, thread_id, author_id, position, coalesce(ap_id, '') AS ap_id, source, source_kind,
	hidden_at, deleted_at, like_count`

// applyEdit stores a new version of a post (and maybe its thread's title), keeping the previous one
// in post_edits. It is shared by local edits and remote Updates. An edit that changes nothing is
// not recorded; changed says whether anything was.
func (f *Forum) applyEdit(ctx context.Context, tx pgx.Tx, p postRow, t Thread, editorID int64, source, kind, html string, title *string) (changed bool, err error) {
	titleChanged := title != nil && *title != t.Title
	if source == p.Source && kind == p.SourceKind && !titleChanged {
		return false, nil
	}
	var previousTitle *string
	if titleChanged {
		previousTitle = &t.Title
	}
	if _, err := tx.Exec(ctx, `INSERT INTO post_edits (post_id, editor_id, previous_source, previous_source_kind, previous_title)
		VALUES ($1, $2, $3, $4, $5)`, p.ID, editorID, p.Source, p.SourceKind, previousTitle); err != nil {
		return false, fmt.Errorf("keep edit history: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE posts SET source = $2, source_kind = $3, html = $4, html_mac = $5, edited_at = now()
		WHERE id = $1`, p.ID, source, kind, html, f.secrets.macHTML("post", p.ID, html)); err != nil {
		return false, fmt.Errorf("update post: %w", err)
	}
	newTitle := t.Title
	if titleChanged {
		if _, err := tx.Exec(ctx, `UPDATE threads SET title = $2 WHERE id = $1`, t.ID, *title); err != nil {
			return false, fmt.Errorf("rename thread: %w", err)
		}
		newTitle = *title
	}
	// The new text is searched for, and unread again for whoever had read the old one, unless
	// readers cannot read it: a hidden post's author may still edit it, and settleRemovedPost
	// counted it as read for everyone so that it does not show as new to those who cannot open it.
	if err := indexPost(ctx, tx, p.ID, p.Position, newTitle, html); err != nil {
		return false, err
	}
	if p.HiddenAt == nil && p.DeletedAt == nil {
		if err := markEditedUnread(ctx, tx, t.ID, p.Position, editorID); err != nil {
			return false, err
		}
	}
	return true, nil
}

// Revision is one earlier version of a post.
type Revision struct {
	ID             int64     `db:"id"`
	EditorUsername string    `db:"editor_username"`
	EditorDomain   string    `db:"editor_domain"`
	Source         string    `db:"previous_source"`
	SourceKind     string    `db:"previous_source_kind"`
	Title          *string   `db:"previous_title"`
	ReplacedAt     time.Time `db:"created_at"`
	// StaffOnly marks a version a moderator's edit replaced, or an older one (History.StaffOnly).
	StaffOnly bool `db:"staff_only"`
}

// History is a post's earlier versions as a viewer may read them, newest first.
type History struct {
	Revisions []Revision
	// StaffOnly is how many older versions are left out: those from before the last edit made by
	// someone other than the author (a moderator), which often takes out what must not stay
	// public (an address, a name). Staff and the author read them.
	StaffOnly int
}

// PostHistory returns a post as v sees it and its earlier versions. Anyone who may read a post may
// read its history (as on Discourse), but for the versions a moderator's edit replaced (History);
// a withheld post's history is withheld too.
func (f *Forum) PostHistory(ctx context.Context, v Viewer, postID int64) (Post, History, error) {
	p, err := f.PostByID(ctx, v, postID)
	if err != nil {
		return Post{}, History{}, err
	}
	if p.Redacted {
		return p, History{}, nil
	}
	rows, err := f.db.Query(ctx, `SELECT e.id, a.username AS editor_username, coalesce(a.domain, '') AS editor_domain,
			e.previous_source, e.previous_source_kind, e.previous_title, e.created_at,
			e.id <= (SELECT coalesce(max(s.id), 0) FROM post_edits s WHERE s.post_id = $1 AND s.editor_id <> $2) AS staff_only
		FROM post_edits e JOIN actors a ON a.id = e.editor_id
		WHERE e.post_id = $1 ORDER BY e.id DESC LIMIT 100`, postID, p.AuthorID)
	if err != nil {
		return Post{}, History{}, fmt.Errorf("history of post %d: %w", postID, err)
	}
	revs, err := pgx.CollectRows(rows, pgx.RowToStructByName[Revision])
	if err != nil {
		return Post{}, History{}, fmt.Errorf("history of post %d: %w", postID, err)
	}
	h := History{Revisions: revs}
	if !v.IsStaff() && v.ActorID != p.AuthorID {
		h.Revisions = revs[:0]
		for _, r := range revs {
			if r.StaffOnly {
				h.StaffOnly++
			} else {
				h.Revisions = append(h.Revisions, r)
			}
		}
	}
	return p, h, nil
}
