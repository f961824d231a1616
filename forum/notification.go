package forum

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// NotificationKind says why a member was notified.
type NotificationKind string

const (
	NotificationReply     NotificationKind = "reply"      // a reply to their post, or to their thread
	NotificationQuote     NotificationKind = "quote"      // a post quoting theirs
	NotificationMention   NotificationKind = "mention"    // @username in a post
	NotificationLike      NotificationKind = "like"       // someone liked their post
	NotificationWatching  NotificationKind = "watching"   // a new post in a thread they watch
	NotificationNewThread NotificationKind = "new_thread" // a new thread in a category they watch
)

// Sentence says what happened, for the notifications page and mails.
func (k NotificationKind) Sentence(actor, title string) string {
	quoted := "“" + title + "”"
	switch k {
	case NotificationReply:
		return actor + " replied to you in " + quoted
	case NotificationQuote:
		return actor + " quoted you in " + quoted
	case NotificationMention:
		return actor + " mentioned you in " + quoted
	case NotificationLike:
		return actor + " liked your post in " + quoted
	case NotificationNewThread:
		return actor + " started " + quoted
	}
	return actor + " posted in " + quoted
}

// Notification is one entry of a member's notifications, as their page lists it.
type Notification struct {
	ID          int64            `db:"id"`
	Kind        NotificationKind `db:"kind"`
	CreatedAt   time.Time        `db:"created_at"`
	ReadAt      *time.Time       `db:"read_at"`
	ThreadID    int64            `db:"thread_id"`
	PostID      int64            `db:"post_id"`
	ThreadTitle string           `db:"thread_title"`
	// Author is who acted: the post's author, or who liked it.
	Author
	// Available is false when the member may no longer read the post (deleted, hidden, or in a
	// category they lost access to): the page then names neither the thread nor the post.
	Available bool `db:"available"`
}

// Unread reports whether the member has not seen the notification yet.
func (n Notification) Unread() bool { return n.ReadAt == nil }

// Sentence says what happened.
func (n Notification) Sentence() string {
	if !n.Available {
		return n.AuthorName() + ": this post is no longer available"
	}
	return n.Kind.Sentence(n.AuthorName(), n.ThreadTitle)
}

// NotificationsPerPage is the length of a notifications page.
const NotificationsPerPage = 30

// CountCap bounds the counts the header shows (unread notifications, open reports): counting stops
// there, so a member with a huge backlog costs what anyone else does; pages show "99+".
const CountCap = 100

// Notifications lists v's notifications, newest first, before a cursor (a notification id; 0 for
// the start). next is the cursor of the following page, 0 on the last.
func (f *Forum) Notifications(ctx context.Context, v Viewer, before int64, limit int) ([]Notification, int64, error) {
	if !v.SignedIn() {
		return nil, 0, fmt.Errorf("notifications: %w", ErrUnauthorized)
	}
	if limit <= 0 || limit > 100 {
		limit = NotificationsPerPage
	}
	if before < 0 {
		return nil, 0, Invalid("before", "is not a cursor this server gave out")
	}
	visible, err := f.VisibleCategoryIDs(ctx, v)
	if err != nil {
		return nil, 0, err
	}
	rows, err := f.db.Query(ctx, notificationsPageSQL, v.ActorID, pageBefore(before), limit+1, visible, v.IsStaff())
	if err != nil {
		return nil, 0, fmt.Errorf("notifications: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[Notification])
	if err != nil {
		return nil, 0, fmt.Errorf("notifications: %w", err)
	}
	var next int64
	if len(list) > limit {
		list = list[:limit]
		next = list[limit-1].ID
	}
	return list, next, nil
}

// ParseNotificationCursor reads a notifications cursor ("" is the start), the value of the query
// parameter named field (the page's ?before=, the API's ?cursor=), which a bad one names.
func ParseNotificationCursor(field, s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, Invalid(field, "is not a cursor this server gave out")
	}
	return n, nil
}

// MarkNotificationRead marks one of v's notifications read. Another member's is ErrNotFound.
func (f *Forum) MarkNotificationRead(ctx context.Context, v Viewer, id int64) error {
	if !v.SignedIn() {
		return fmt.Errorf("mark notification read: %w", ErrUnauthorized)
	}
	tag, err := f.db.Exec(ctx, `UPDATE notifications SET read_at = coalesce(read_at, now()) WHERE id = $1 AND member_id = $2`, id, v.ActorID)
	if err != nil {
		return fmt.Errorf("mark notification %d read: %w", id, err)
	}
	f.viewers.keyChanged(v.ActorID) // the header's count, from the next request on (session_cache.go)
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("notification %d: %w", id, ErrNotFound)
	}
	return nil
}

// MarkAllNotificationsRead marks every notification of v read and says how many were unread.
func (f *Forum) MarkAllNotificationsRead(ctx context.Context, v Viewer) (int64, error) {
	if !v.SignedIn() {
		return 0, fmt.Errorf("mark notifications read: %w", ErrUnauthorized)
	}
	tag, err := f.db.Exec(ctx, `UPDATE notifications SET read_at = now() WHERE member_id = $1 AND read_at IS NULL`, v.ActorID)
	if err != nil {
		return 0, fmt.Errorf("mark notifications read: %w", err)
	}
	f.viewers.keyChanged(v.ActorID)
	return tag.RowsAffected(), nil
}

// HeaderCounts are the numbers the page header shows a signed-in member, each at most CountCap.
// ResumeSession reads them in the query that resumes the session, so pages pay no query for them.
type HeaderCounts struct {
	UnreadNotifications int
	// OpenReports is the moderation queue's length, for staff (0 for everyone else).
	OpenReports int
}

// headerCountsColumns reads HeaderCounts for the member of a session row s with members row m.
// Both counts walk partial indexes (notifications_unread, reports_open) and stop at CountCap.
var headerCountsColumns = `(SELECT count(*) FROM (SELECT 1 FROM notifications n
		WHERE n.member_id = s.member_id AND n.read_at IS NULL LIMIT ` + strconv.Itoa(CountCap) + `) un) AS unread_notifications,
	CASE WHEN m.role IN ('admin', 'moderator') THEN (SELECT count(*) FROM (SELECT 1 FROM reports r
		WHERE r.status = 'open' LIMIT ` + strconv.Itoa(CountCap) + `) rq) ELSE 0 END AS open_reports`

// EmailNotifications reports whether v asked for a mail per notification.
func (f *Forum) EmailNotifications(ctx context.Context, v Viewer) (bool, error) {
	if !v.SignedIn() {
		return false, fmt.Errorf("notification settings: %w", ErrUnauthorized)
	}
	var on bool
	if err := f.db.QueryRow(ctx, `SELECT email_notifications FROM members WHERE actor_id = $1`, v.ActorID).Scan(&on); err != nil {
		return false, notFound(err, "member")
	}
	return on, nil
}

// SetEmailNotifications turns v's notification mails on or off.
func (f *Forum) SetEmailNotifications(ctx context.Context, v Viewer, on bool) error {
	if !v.SignedIn() {
		return fmt.Errorf("notification settings: %w", ErrUnauthorized)
	}
	tag, err := f.db.Exec(ctx, `UPDATE members SET email_notifications = $2 WHERE actor_id = $1`, v.ActorID, on)
	if err != nil {
		return fmt.Errorf("notification settings: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("member %d: %w", v.ActorID, ErrNotFound)
	}
	return nil
}

// notificationsPageSQL is a page of a member's notifications, newest first: $1 the member, $2 the
// id to start below (pageBefore), $3 how many, $4 the categories they may see, $5 whether they are
// staff. A hidden thread is still read by its author and by staff (threadVisible), so their
// notifications about it stay available.
const notificationsPageSQL = `SELECT n.id, n.kind, n.created_at, n.read_at, n.thread_id, n.post_id,
			` + authorColumns + `, t.title AS thread_title,
			(t.category_id = ANY($4) AND t.deleted_at IS NULL
				AND (t.hidden_at IS NULL OR t.author_id = $1 OR $5::bool)
				AND p.deleted_at IS NULL AND p.hidden_at IS NULL) AS available
		FROM (SELECT * FROM notifications WHERE member_id = $1 AND id < $2
			ORDER BY id DESC LIMIT $3) n
		JOIN actors au ON au.id = n.actor_id
		JOIN posts p ON p.id = n.post_id
		JOIN threads t ON t.id = n.thread_id
		ORDER BY n.id DESC`
