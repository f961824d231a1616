package forum

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// DeliverNotifications does the work of a NotifyArgs job: it decides who is told, inserts their
// notifications, and queues a mail for each member who asked for mail and has had none about the
// thread since they last visited it, all in one transaction. It returns how many notifications it
// made. A notification whose (member, post) or (member, like) already exists is not made again, so
// a retried job makes none; a post deleted or hidden before the job ran notifies no one.
//
// The rules, per member:
//   - never the one who acted, never a remote actor (no member row), never someone whose role may
//     not see the category, nor a deleted or suspended account;
//   - one notification per post, of its most specific kind: a mention, else a quote of their post,
//     else a reply (to their post, or to their thread when the reply names no post), else the post
//     of a thread they watch or the opener of a thread in a category they watch;
//   - a muted thread (or a thread in a muted category with no level of its own) is told only of
//     mentions.
//
// link turns a site path into the absolute URL the mails carry.
func (f *Forum) DeliverNotifications(ctx context.Context, a NotifyArgs, link func(path string) string) (int, error) {
	var made int
	// The category and the permission sets come from the process's snapshot, loaded here if it is
	// cold or stale: inside the transaction a load would take a second pool connection while the
	// transaction holds one (each notification job waiting on the pool with a row lock held).
	if _, err := f.perms.snapshot(ctx, f); err != nil {
		return 0, fmt.Errorf("notifications for %s of post %d: %w", a.Event, a.PostID, err)
	}
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		// What the job decides on (the post still shown, the like still standing) is what a
		// like taken back, a delete or a hide changes, each under its thread's row lock, and
		// each settles the notifications it finds (forgetLikeNotification, settleRemovedPost).
		// A share lock on the thread makes the job and those writes take turns: one committing
		// while the other ran left a notification of a like taken back, or of a post deleted,
		// unread in the header with nothing to open. Jobs do not wait for each other.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM threads t
			WHERE t.id = (SELECT p.thread_id FROM posts p WHERE p.id = $1) FOR SHARE OF t`, a.PostID); err != nil {
			return err
		}
		ev, err := loadNotifyEvent(ctx, tx, a.PostID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if ev.gone() {
			return nil
		}
		c, err := f.categoryDefinition(ctx, ev.CategoryID)
		if err != nil {
			return err
		}
		made, err = f.notifyInTx(ctx, tx, a, ev, c, link)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("notifications for %s of post %d: %w", a.Event, a.PostID, err)
	}
	return made, nil
}

// notifyInTx makes event a's notifications about post ev in category c, and queues their mails,
// in tx. The permission snapshot must be loaded before tx began (see DeliverNotifications).
func (f *Forum) notifyInTx(ctx context.Context, tx pgx.Tx, a NotifyArgs, ev notifyEvent, c Category, link func(string) string) (int, error) {
	sql, args, err := f.notifyQuery(ctx, a, ev, c)
	if err != nil {
		return 0, err
	}
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return 0, err
	}
	notes, err := pgx.CollectRows(rows, pgx.RowToStructByName[madeNotification])
	if err != nil {
		return 0, err
	}
	return len(notes), f.mailNotifications(ctx, tx, ev, c, notes, link)
}

// notifyQuery is the statement, with its arguments, that makes event a's notifications about post
// ev in category c and returns them (notifyInTx runs it; a group of remote replies sends its
// replies' together, notifyGroup).
func (f *Forum) notifyQuery(ctx context.Context, a NotifyArgs, ev notifyEvent, c Category) (string, []any, error) {
	roles, err := f.rolesThatSee(ctx, c)
	if err != nil {
		return "", nil, err
	}
	if ev.ThreadHiddenAt != nil {
		// A hidden thread is read by staff and its author only: the statements' tail lets the
		// thread's author through whatever the roles (notifyTailInsert).
		roles = slices.DeleteFunc(roles, func(r string) bool { return r != string(RoleModerator) && r != string(RoleAdmin) })
	}
	switch a.Event {
	case NotifyPost, NotifyMention:
		// An edit tells only whom it newly mentions or quotes: not the author of the post it
		// answers (told, or not, when it was published), nor any watcher.
		mentionsOnly := a.Event == NotifyMention
		parent := ev.InReplyToID
		if mentionsOnly {
			parent = nil
		}
		return notifyPostSQL, []any{a.PostID, a.ActorID, ev.ThreadID, c.ID, roles,
			a.Mentions, parent, !mentionsOnly && ev.InReplyToID == nil && ev.Position > 1, ev.ThreadAuthorID,
			!mentionsOnly && ev.Position > 1, !mentionsOnly && ev.Position == 1, a.Quotes}, nil
	case NotifyLike:
		return notifyLikeSQL, []any{a.PostID, a.ActorID, ev.ThreadID, c.ID, roles}, nil
	}
	return "", nil, fmt.Errorf("unknown notification event %q", a.Event)
}

// notifyEvent is the post an event is about, as the job reads it.
type notifyEvent struct {
	PostID          int64      `db:"post_id"`
	ThreadID        int64      `db:"thread_id"`
	CategoryID      int64      `db:"category_id"`
	Position        int        `db:"position"`
	InReplyToID     *int64     `db:"in_reply_to_id"`
	ThreadAuthorID  int64      `db:"thread_author_id"`
	ThreadTitle     string     `db:"thread_title"`
	HTML            string     `db:"html"`
	PostDeletedAt   *time.Time `db:"post_deleted_at"`
	PostHiddenAt    *time.Time `db:"post_hidden_at"`
	ThreadDeletedAt *time.Time `db:"thread_deleted_at"`
	ThreadHiddenAt  *time.Time `db:"thread_hidden_at"`
}

// gone reports whether nobody is to be told of the post any more. A post of a hidden thread is
// not gone: its author and staff still read it, and only they are told (notifyQuery).
func (e notifyEvent) gone() bool {
	return e.PostDeletedAt != nil || e.PostHiddenAt != nil || e.ThreadDeletedAt != nil
}

func loadNotifyEvent(ctx context.Context, tx pgx.Tx, postID int64) (notifyEvent, error) {
	rows, err := tx.Query(ctx, `SELECT p.id AS post_id, p.thread_id, t.category_id, p.position, p.in_reply_to_id,
			t.author_id AS thread_author_id, t.title AS thread_title, p.html,
			p.deleted_at AS post_deleted_at, p.hidden_at AS post_hidden_at,
			t.deleted_at AS thread_deleted_at, t.hidden_at AS thread_hidden_at
		FROM posts p JOIN threads t ON t.id = p.thread_id WHERE p.id = $1`, postID)
	if err != nil {
		return notifyEvent{}, err
	}
	ev, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[notifyEvent])
	if err != nil {
		return notifyEvent{}, notFound(err, fmt.Sprintf("post %d", postID))
	}
	return ev, nil
}

// rolesThatSee lists the stored roles whose members may see category c.
func (f *Forum) rolesThatSee(ctx context.Context, c Category) ([]string, error) {
	var roles []string
	for _, r := range []Role{RoleMember, RoleModerator, RoleAdmin} {
		p, err := f.Permissions(ctx, Viewer{ActorID: -1, Role: r}, c)
		if err != nil {
			return nil, err
		}
		if p.See {
			roles = append(roles, string(r))
		}
	}
	return roles, nil
}

// notifyTailInsert and notifyTailMail, around an ON CONFLICT clause, insert the chosen
// (member_id, kind) rows of a statement's "chosen" CTE for post $1 by actor $2 in thread $3,
// category $4, for members whose role is in $5, doing what the clause says where a row is there
// already; then they claim the mail of each notification made whose member wants mail and has had
// none about the thread since their last visit, and return every notification made, with whether
// to mail it.
const notifyTailInsert = `,
	inserted AS (
		INSERT INTO notifications (member_id, kind, actor_id, thread_id, post_id)
		SELECT c.member_id, c.kind, $2, $3, $1
		FROM chosen c
		JOIN members m ON m.actor_id = c.member_id
		JOIN actors a ON a.id = c.member_id
		LEFT JOIN member_threads mt ON mt.thread_id = $3 AND mt.member_id = c.member_id
		LEFT JOIN member_categories mc ON mc.category_id = $4 AND mc.member_id = c.member_id
		WHERE c.member_id <> $2 AND a.deleted_at IS NULL AND a.suspended_at IS NULL
			AND (m.role = ANY($5::text[])
				OR c.member_id = (SELECT t.author_id FROM threads t WHERE t.id = $3 AND t.hidden_at IS NOT NULL))
			AND (c.kind = 'mention' OR coalesce(mt.level, mc.level, '') <> 'muted')
		`

const notifyTailMail = `
		RETURNING id, member_id, kind),
	mailed AS (
		INSERT INTO member_threads AS mt (thread_id, member_id, mailed_at)
		SELECT $3, i.member_id, now() FROM inserted i JOIN members m ON m.actor_id = i.member_id
		-- A banned member is mailed nothing: each mail asked them to read on a forum they may not
		-- sign in to. The notification itself waits for them.
		WHERE m.email_notifications AND NOT coalesce(m.banned_until > now(), false)
		ON CONFLICT (thread_id, member_id) DO UPDATE SET mailed_at = excluded.mailed_at WHERE mt.mailed_at IS NULL
		RETURNING member_id)
	SELECT i.id, i.member_id, i.kind, m.email, a.username, (ml.member_id IS NOT NULL) AS mail
	FROM inserted i
	JOIN members m ON m.actor_id = i.member_id
	JOIN actors a ON a.id = i.member_id
	LEFT JOIN mailed ml ON ml.member_id = i.member_id`

// notifyPostSQL: $6 mentioned usernames, $7 the post it replies to, $8 whether it replies to the
// thread itself (so its author is told), $9 the thread's author, $10 whether the thread's
// watchers are told (a reply), $11 whether the category's watchers are (an opener), $12 the posts
// it quotes. Candidates are ranked so each member gets the most specific kind: a quote of their
// post that also replies to it is a quote.
const notifyPostSQL = `WITH candidates (member_id, kind, rank) AS (
		SELECT a.id, 'mention', 1 FROM actors a
		WHERE a.domain IS NULL AND a.kind = 'person' AND a.username = ANY($6::text[])
			-- A remote reply tags the author it answers (Mastodon and most microblogs do, unasked):
			-- that is its address, and the member is told of a reply, not a mention.
			AND NOT EXISTS (SELECT 1 FROM posts this JOIN posts parent ON parent.id = $7::bigint
				WHERE this.id = $1 AND this.ap_id IS NOT NULL AND parent.author_id = a.id)
		UNION ALL
		SELECT quoted.author_id, 'quote', 2 FROM posts quoted WHERE quoted.id = ANY($12::bigint[])
		UNION ALL
		SELECT parent.author_id, 'reply', 3 FROM posts parent WHERE parent.id = $7::bigint
		UNION ALL
		SELECT $9::bigint, 'reply', 3 WHERE $8::boolean
		UNION ALL
		SELECT mt.member_id, 'watching', 4 FROM member_threads mt
		WHERE $10::boolean AND mt.thread_id = $3 AND mt.level = 'watching'
		UNION ALL
		SELECT mc.member_id, 'new_thread', 4 FROM member_categories mc
		WHERE $11::boolean AND mc.category_id = $4 AND mc.level = 'watching'),
	chosen AS (
		SELECT DISTINCT ON (member_id) member_id, kind FROM candidates ORDER BY member_id, rank)` + notifyTailInsert + upgradeNotification + notifyTailMail

// upgradeNotification is what a post's notification does to one its member has about the post
// already: nothing when it is a retry (the same kind), but an edit that mentions or quotes someone
// who was told of the post for a weaker reason (watching it, a reply) makes theirs a mention or
// quote, unread and new: the once-per-post rule must not swallow it.
const upgradeNotification = `ON CONFLICT (member_id, post_id) WHERE kind <> 'like' DO UPDATE
		SET kind = excluded.kind, actor_id = excluded.actor_id, created_at = excluded.created_at, read_at = NULL
		WHERE array_position(ARRAY['mention', 'quote', 'reply', 'watching', 'new_thread'], excluded.kind)
			< array_position(ARRAY['mention', 'quote', 'reply', 'watching', 'new_thread'], notifications.kind)`

// notifyLikeSQL tells the post's author, while the like ($2's) still stands.
const notifyLikeSQL = `WITH chosen AS (
		SELECT p.author_id AS member_id, 'like' AS kind FROM posts p
		WHERE p.id = $1 AND EXISTS (SELECT 1 FROM likes l WHERE l.post_id = p.id AND l.actor_id = $2))` + notifyTailInsert + "ON CONFLICT DO NOTHING" + notifyTailMail

// madeNotification is a notification the job inserted.
type madeNotification struct {
	ID       int64            `db:"id"`
	MemberID int64            `db:"member_id"`
	Kind     NotificationKind `db:"kind"`
	Email    string           `db:"email"`
	Username string           `db:"username"`
	Mail     bool             `db:"mail"`
}

// mailNotifications queues one mail per notification the statement claimed a mail for.
func (f *Forum) mailNotifications(ctx context.Context, tx pgx.Tx, ev notifyEvent, c Category, made []madeNotification, link func(string) string) error {
	var actor, site string
	for _, n := range made {
		if !n.Mail {
			continue
		}
		if actor == "" {
			var err error
			if actor, err = notificationActorName(ctx, tx, n.ID); err != nil {
				return err
			}
			settings, err := f.SiteSettings(ctx)
			if err != nil {
				return err
			}
			site = settings.SiteName
		}
		subject, text := notificationMail(site, actor, n, ev, c, link)
		if err := f.insertJob(ctx, tx, MailArgs{To: n.Email, Subject: subject, Text: text}); err != nil {
			return err
		}
	}
	return nil
}

func notificationActorName(ctx context.Context, tx pgx.Tx, notificationID int64) (string, error) {
	var name string
	err := tx.QueryRow(ctx, `SELECT coalesce(nullif(a.display_name, ''), a.username || coalesce('@' || a.domain, ''))
		FROM notifications n JOIN actors a ON a.id = n.actor_id WHERE n.id = $1`, notificationID).Scan(&name)
	if err != nil {
		return "", fmt.Errorf("who acted: %w", err)
	}
	return name, nil
}

// maxMailExcerpt bounds how much of a post a notification mail quotes, in characters.
const maxMailExcerpt = 600

// notificationMail writes one notification's mail.
func notificationMail(site, actor string, n madeNotification, ev notifyEvent, c Category, link func(string) string) (subject, text string) {
	headline := n.Kind.Sentence(actor, ev.ThreadTitle)
	if n.Kind == NotificationNewThread {
		headline += " in " + c.Title
	}
	// A subject is one line, whatever a remote title holds.
	subject = strings.Join(strings.Fields("["+site+"] "+headline), " ")
	excerpt := []rune(plainText(ev.HTML))
	if len(excerpt) > maxMailExcerpt {
		excerpt = append(excerpt[:maxMailExcerpt], '…')
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n%s.\n\n", n.Username, headline)
	for _, line := range strings.Split(string(excerpt), "\n") {
		b.WriteString("> " + line + "\n")
	}
	fmt.Fprintf(&b, "\nRead it: %s\n\n", link(fmt.Sprintf("/p/%d", ev.PostID)))
	fmt.Fprintf(&b, "You will get no other mail about this thread until you visit it. To stop these mails, "+
		"turn them off in your settings: %s\n", link("/settings/notifications"))
	return subject, b.String()
}
