package forum

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// threadActorPrefix starts every thread actor's handle. Usernames and slugs are [a-z0-9_], so a
// hyphen keeps "thread-12" from ever colliding with a member or a category.
const threadActorPrefix = "thread-"

// ThreadActorUsername is the handle of a thread's followable actor: "thread-{id}".
func ThreadActorUsername(threadID int64) string {
	return threadActorPrefix + strconv.FormatInt(threadID, 10)
}

// ThreadIDFromActorUsername parses a thread actor's handle. It accepts exactly the form
// ThreadActorUsername makes (no sign, no leading zero), so each thread has one handle.
func ThreadIDFromActorUsername(username string) (int64, bool) {
	digits, ok := strings.CutPrefix(strings.ToLower(username), threadActorPrefix)
	if !ok || digits == "" || digits[0] == '0' || len(digits) > 19 {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	id, err := strconv.ParseInt(digits, 10, 64)
	return id, err == nil && id > 0
}

// ThreadActor is a local thread's followable actor with what its document shows: the thread's
// title and category are read live, so a renamed or moved thread needs no actor update.
type ThreadActor struct {
	Actor
	ThreadID        int64      `db:"thread_id"`
	Title           string     `db:"title"`
	CategoryID      int64      `db:"category_id"`
	CategorySlug    string     `db:"category_slug"`
	CategoryTitle   string     `db:"category_title"`
	ThreadCreatedAt time.Time  `db:"thread_created_at"`
	PostCount       int        `db:"post_count"`
	LockedAt        *time.Time `db:"locked_at"`
}

// AboutHTML is what a thread's actor says of itself, as HTML: its actor document and the API
// show the same words.
func (ta ThreadActor) AboutHTML() string {
	return "<p>The thread “" + html.EscapeString(ta.Title) + "” in " + html.EscapeString(ta.CategoryTitle) +
		". Follow it to receive its replies.</p>"
}

// threadVisibility is what decides whether a thread may have a public actor.
type threadVisibility struct {
	ActorID     *int64     `db:"actor_id"`
	Title       string     `db:"title"`
	Remote      bool       `db:"remote"`
	HiddenAt    *time.Time `db:"hidden_at"`
	DeletedAt   *time.Time `db:"deleted_at"`
	CategoryRem bool       `db:"category_remote"`
}

// EnsureThreadActor returns the actor of a local, visible thread, creating it on first need (the
// first WebFinger lookup, actor fetch or follow). Concurrent callers get the same actor: the thread
// row is locked while the actor is made. The key pair is made later still, by SigningKey, the first
// time something needs it. Deleted threads give ErrGone; hidden, remote or unknown ones ErrNotFound.
func (f *Forum) EnsureThreadActor(ctx context.Context, threadID int64) (ThreadActor, error) {
	ta, err := f.threadActor(ctx, threadID)
	if err == nil || !errors.Is(err, errNoThreadActor) {
		return ta, err
	}
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT t.actor_id, t.title, t.ap_id IS NOT NULL AS remote, t.hidden_at, t.deleted_at,
				c.domain IS NOT NULL AS category_remote
			FROM threads t JOIN categories c ON c.id = t.category_id WHERE t.id = $1 FOR NO KEY UPDATE OF t`, threadID)
		if err != nil {
			return err
		}
		v, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[threadVisibility])
		if err != nil {
			return notFound(err, fmt.Sprintf("thread %d", threadID))
		}
		if err := v.check(threadID); err != nil {
			return err
		}
		if v.ActorID != nil {
			return nil // made by a concurrent caller while we waited for the lock
		}
		var actorID int64
		// The handle cannot be taken by anyone else; ON CONFLICT only adopts a row left behind by a
		// thread whose actor link was cleared.
		err = tx.QueryRow(ctx, `INSERT INTO actors (kind, username, display_name) VALUES ('thread', $1, $2)
			ON CONFLICT (username) WHERE domain IS NULL DO UPDATE SET display_name = EXCLUDED.display_name
			RETURNING id`, ThreadActorUsername(threadID), v.Title).Scan(&actorID)
		if err != nil {
			return fmt.Errorf("insert thread actor: %w", err)
		}
		_, err = tx.Exec(ctx, `UPDATE threads SET actor_id = $2 WHERE id = $1`, threadID, actorID)
		return err
	})
	if err != nil {
		return ThreadActor{}, fmt.Errorf("thread %d actor: %w", threadID, err)
	}
	return f.threadActor(ctx, threadID)
}

func (v threadVisibility) check(threadID int64) error {
	switch {
	case v.DeletedAt != nil:
		return fmt.Errorf("thread %d: %w", threadID, ErrGone)
	case v.HiddenAt != nil, v.Remote, v.CategoryRem:
		return fmt.Errorf("thread %d: %w", threadID, ErrNotFound)
	}
	return nil
}

var errNoThreadActor = errors.New("thread has no actor yet")

// threadActor loads a thread's existing actor (one query on the hot path), or errNoThreadActor.
func (f *Forum) threadActor(ctx context.Context, threadID int64) (ThreadActor, error) {
	rows, err := f.db.Query(ctx, `SELECT `+actorColumns+`, t.id AS thread_id, t.title, t.category_id,
			c.slug AS category_slug, c.title AS category_title, t.created_at AS thread_created_at, t.post_count,
			t.locked_at, t.ap_id IS NOT NULL AS remote, t.hidden_at AS thread_hidden_at,
			t.deleted_at AS thread_deleted_at, c.domain IS NOT NULL AS category_remote
		FROM threads t JOIN categories c ON c.id = t.category_id JOIN actors a ON a.id = t.actor_id
		WHERE t.id = $1`, threadID)
	if err != nil {
		return ThreadActor{}, fmt.Errorf("thread %d actor: %w", threadID, err)
	}
	type row struct {
		ThreadActor
		Remote         bool       `db:"remote"`
		ThreadHiddenAt *time.Time `db:"thread_hidden_at"`
		ThreadDeleted  *time.Time `db:"thread_deleted_at"`
		CategoryRemote bool       `db:"category_remote"`
	}
	r, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[row])
	if errors.Is(err, pgx.ErrNoRows) {
		// No thread, or no actor yet: the visibility query tells which.
		return ThreadActor{}, f.threadWithoutActor(ctx, threadID)
	}
	if err != nil {
		return ThreadActor{}, fmt.Errorf("thread %d actor: %w", threadID, err)
	}
	v := threadVisibility{Remote: r.Remote, HiddenAt: r.ThreadHiddenAt, DeletedAt: r.ThreadDeleted, CategoryRem: r.CategoryRemote}
	if err := v.check(threadID); err != nil {
		return ThreadActor{}, err
	}
	return r.ThreadActor, nil
}

func (f *Forum) threadWithoutActor(ctx context.Context, threadID int64) error {
	rows, err := f.db.Query(ctx, `SELECT t.actor_id, t.title, t.ap_id IS NOT NULL AS remote, t.hidden_at, t.deleted_at,
			c.domain IS NOT NULL AS category_remote
		FROM threads t JOIN categories c ON c.id = t.category_id WHERE t.id = $1`, threadID)
	if err != nil {
		return fmt.Errorf("thread %d: %w", threadID, err)
	}
	v, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[threadVisibility])
	if err != nil {
		return notFound(err, fmt.Sprintf("thread %d", threadID))
	}
	if err := v.check(threadID); err != nil {
		return err
	}
	return errNoThreadActor
}
