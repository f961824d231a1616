package forum

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Post is one message in a thread, local or remote.
type Post struct {
	ID          int64  `db:"id"`
	ThreadID    int64  `db:"thread_id"`
	AuthorID    int64  `db:"author_id"`
	Position    int    `db:"position"`
	InReplyToID *int64 `db:"in_reply_to_id"`
	// APID and URL are set for posts that came from another server.
	APID string `db:"ap_id"`
	URL  string `db:"url"`
	// Source is Markdown for local posts, the received HTML for remote ones (SourceKind says which).
	Source     string `db:"source"`
	SourceKind string `db:"source_kind"`
	// HTML is rendered and sanitised; the MAC proves this process's key wrote it (render.go).
	HTML      string     `db:"html"`
	HTMLMAC   []byte     `db:"html_mac"`
	Summary   string     `db:"summary"`
	Sensitive bool       `db:"sensitive"`
	CreatedAt time.Time  `db:"created_at"`
	EditedAt  *time.Time `db:"edited_at"`
	HiddenAt  *time.Time `db:"hidden_at"`
	DeletedAt *time.Time `db:"deleted_at"`
	LikeCount int        `db:"like_count"`
	Author
	// Liked reports whether the viewer who loaded the post likes it.
	Liked bool `db:"liked"`
	// Redacted means the viewer may not read the content (deleted, or hidden by staff): HTML and
	// Source are empty and the page shows a placeholder in the post's place.
	Redacted bool `db:"-"`
	// Unread marks, on a thread page read by a member (ReadThreadPage), a post they had not seen.
	Unread bool `db:"-"`
	// Suppressed is the limit its author's moderation (or domain's rules) puts on the post
	// (domain_rule.go). Withheld is set when that is why the viewer may not read it: the post is
	// then Redacted, and its author's name and address are withheld too.
	Suppressed DomainLimit `db:"suppressed"`
	Withheld   DomainLimit `db:"-"`
}

// Deleted reports whether the post was deleted (its place in the thread stays).
func (p Post) Deleted() bool { return p.DeletedAt != nil }

// Hidden reports whether staff hid the post.
func (p Post) Hidden() bool { return p.HiddenAt != nil }

// postColumns need the posts table as p, the author as au, and the viewer's id as the given
// parameter (for liked).
func postColumns(viewerParam int) string {
	return `p.id, p.thread_id, p.author_id, p.position, p.in_reply_to_id, coalesce(p.ap_id, '') AS ap_id,
		coalesce(p.url, '') AS url, p.source, p.source_kind, p.html, p.html_mac, p.summary, p.sensitive,
		p.created_at, p.edited_at, p.hidden_at, p.deleted_at, p.like_count, p.suppressed, ` + authorColumns + `,
		EXISTS (SELECT 1 FROM likes l WHERE l.post_id = p.id AND l.actor_id = $` + strconv.Itoa(viewerParam) + `) AS liked`
}

// NewPost is the input to CreatePost.
type NewPost struct {
	ThreadID int64
	Body     string
	// InReplyToID optionally names the post this one answers; it must be in the same thread.
	InReplyToID *int64
}

// CreatePost adds a reply to a thread, with the Create activity federation publishes.
func (f *Forum) CreatePost(ctx context.Context, by Viewer, in NewPost) (Post, error) {
	v := &ValidationError{}
	validateBody(v, in.Body)
	if err := v.Err(); err != nil {
		return Post{}, err
	}
	rendered := f.markup.RenderMarkdown(in.Body)
	var postID int64
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		actor, err := f.actingPoster(ctx, tx, by)
		if err != nil {
			return err
		}
		t, c, perm, err := f.threadForWrite(ctx, tx, actor, in.ThreadID)
		if err != nil {
			return err
		}
		if err := mayReply(t, perm); err != nil {
			return err
		}
		if in.InReplyToID != nil {
			var parentThread int64
			var removed bool
			err := tx.QueryRow(ctx, `SELECT thread_id, deleted_at IS NOT NULL OR hidden_at IS NOT NULL FROM posts WHERE id = $1`,
				*in.InReplyToID).Scan(&parentThread, &removed)
			if err != nil || parentThread != t.ID {
				return Invalid("in_reply_to", "must be a post of this thread")
			}
			if removed {
				// Nobody could read what the reply answers, and its author is not to be told.
				return Invalid("in_reply_to", "names a post that was deleted or hidden")
			}
		}
		if same, ok, err := recentSameReply(ctx, tx, actor.ActorID, t.ID, in.Body); err != nil || ok {
			postID = same // the same form sent again: the reply it made answers
			return err
		}
		if err := f.spendPostBudget(ctx, tx, actor); err != nil {
			return err
		}
		placed, err := f.insertPost(ctx, tx, postInsert{
			ThreadID: t.ID, AuthorID: actor.ActorID, InReplyToID: in.InReplyToID,
			Source: in.Body, SourceKind: "markdown", HTML: rendered.HTML, Mentions: rendered.Mentions,
			Quotes: rendered.Quotes,
		})
		if err != nil {
			return err
		}
		postID = placed.ID
		_, err = f.recordActivity(ctx, tx, NewActivity{Verb: VerbCreate, ActorID: actor.ActorID, ThreadID: &t.ID, PostID: &postID, CategoryID: &c.ID})
		return err
	})
	if err != nil {
		return Post{}, fmt.Errorf("reply to thread %d: %w", in.ThreadID, err)
	}
	return f.PostByID(ctx, by, postID)
}

// mayReply applies the posting rules to a thread the writer can see.
func mayReply(t Thread, p Permission) error {
	switch {
	case t.DeletedAt != nil:
		return fmt.Errorf("thread %d: %w", t.ID, ErrGone)
	case !p.Reply:
		return fmt.Errorf("reply in thread %d: %w", t.ID, ErrForbidden)
	case t.Locked() && !p.Moderate:
		return fmt.Errorf("thread %d: %w", t.ID, ErrLocked)
	}
	return nil
}

// PostByID loads one post as v sees it.
func (f *Forum) PostByID(ctx context.Context, v Viewer, id int64) (Post, error) {
	rows, err := f.db.Query(ctx, "SELECT "+postColumns(2)+` FROM posts p JOIN actors au ON au.id = p.author_id
		WHERE p.id = $1`, id, v.ActorID)
	if err != nil {
		return Post{}, fmt.Errorf("post %d: %w", id, err)
	}
	p, err := pgx.CollectExactlyOneRow(rows, scanPost)
	if err != nil {
		return Post{}, notFound(err, fmt.Sprintf("post %d", id))
	}
	tv, err := f.ThreadByID(ctx, v, p.ThreadID)
	if err != nil {
		return Post{}, err
	}
	posts := []Post{p}
	if err := f.prepareForViewer(ctx, v, tv.Can, posts); err != nil {
		return Post{}, err
	}
	return posts[0], nil
}

// postsInRange loads a thread's posts with positions first..last, in order, ready for v.
func (f *Forum) postsInRange(ctx context.Context, v Viewer, tv ThreadView, first, last int) ([]Post, error) {
	rows, err := f.db.Query(ctx, postsInRangeSQL, tv.ID, first, last, v.ActorID)
	if err != nil {
		return nil, fmt.Errorf("posts of thread %d: %w", tv.ID, err)
	}
	posts, err := collectPosts(rows, last-first+1)
	if err != nil {
		return nil, fmt.Errorf("posts of thread %d: %w", tv.ID, err)
	}
	if err := f.prepareForViewer(ctx, v, tv.Can, posts); err != nil {
		return nil, err
	}
	return posts, nil
}

// postsInRangeSQL reads a thread's posts by position: $1 the thread, $2 to $3 the positions, $4
// the viewer's actor id (for liked).
var postsInRangeSQL = "SELECT " + postColumns(4) + ` FROM posts p` + authorProbe("p.author_id") + `
	WHERE p.thread_id = $1 AND p.position BETWEEN $2 AND $3 ORDER BY p.position`

// prepareForViewer checks the stored HTML of posts, then withholds what v may not read.
func (f *Forum) prepareForViewer(ctx context.Context, v Viewer, perm Permission, posts []Post) error {
	if err := f.verifyHTML(ctx, posts); err != nil {
		return err
	}
	return f.withholdFromViewer(ctx, v, perm, posts)
}

// withholdFromViewer redacts and withholds, in posts whose HTML is checked, what v may not read.
func (f *Forum) withholdFromViewer(ctx context.Context, v Viewer, perm Permission, posts []Post) error {
	for i := range posts {
		p := &posts[i]
		own := v.SignedIn() && p.AuthorID == v.ActorID
		if (p.Deleted() && !perm.Moderate) || (p.Hidden() && !perm.Moderate && !own) {
			p.Redacted = true
			p.HTML, p.Source, p.HTMLMAC = "", "", nil
		}
	}
	if err := f.withholdSuppressed(ctx, v, perm, posts); err != nil {
		return err
	}
	return f.rejectMedia(ctx, posts)
}

// QuoteMarkdown returns the Markdown that quotes a post in a reply: a blockquote that starts with
// a link to the quoted post. Remote posts are quoted as plain text.
func (f *Forum) QuoteMarkdown(ctx context.Context, v Viewer, postID int64) (string, error) {
	p, err := f.PostByID(ctx, v, postID)
	if err != nil {
		return "", err
	}
	if p.Redacted {
		return "", fmt.Errorf("quote post %d: %w", postID, ErrGone)
	}
	if p.Hidden() || p.Deleted() {
		// Shown to its author and staff only: a quote would publish what a moderator withdrew,
		// and a reply quoting it is refused anyway.
		return "", fmt.Errorf("quote post %d: %w", postID, ErrNotFound)
	}
	text := p.Source
	if p.SourceKind == "html" {
		text = plainText(p.HTML)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "> [@%s wrote](/p/%d):\n>\n", p.AuthorHandle(), p.ID)
	for _, line := range strings.Split(strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n")), "\n") {
		if line == "" {
			b.WriteString(">\n")
		} else {
			b.WriteString("> " + line + "\n")
		}
	}
	b.WriteString("\n")
	return b.String(), nil
}
