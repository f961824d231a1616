package forum

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// WatchLevel is how closely a member follows a thread or a category, as on Discourse:
//   - watching a thread: every new post notifies; watching a category: every new thread notifies;
//   - tracking (the default): only replies to you and mentions of you notify;
//   - muted: nothing notifies but a direct mention. A muted category mutes its threads, except the
//     ones the member chose a level for (or took part in, which makes them watch it).
type WatchLevel string

const (
	Watching WatchLevel = "watching"
	Tracking WatchLevel = "tracking"
	Muted    WatchLevel = "muted"
)

// WatchLevels are the levels in the order the pages offer them.
var WatchLevels = []WatchLevel{Watching, Tracking, Muted}

// ParseWatchLevel accepts the level names.
func ParseWatchLevel(s string) (WatchLevel, error) {
	switch l := WatchLevel(s); l {
	case Watching, Tracking, Muted:
		return l, nil
	}
	return "", Invalid("level", "must be watching, tracking or muted")
}

// ThreadWatch is a member's level for a thread as the thread page shows it.
type ThreadWatch struct {
	// Level is what applies: the level chosen for the thread, else muted when the category is
	// muted, else tracking.
	Level WatchLevel
	// Chosen reports whether the level was set for this thread (by the member, or by their taking
	// part in it) rather than inherited.
	Chosen bool
	// CategoryLevel is the member's level for the thread's category.
	CategoryLevel WatchLevel
}

func threadWatch(threadLevel, categoryLevel *string) ThreadWatch {
	w := ThreadWatch{Level: Tracking, CategoryLevel: Tracking}
	if categoryLevel != nil {
		w.CategoryLevel = WatchLevel(*categoryLevel)
		if w.CategoryLevel == Muted {
			w.Level = Muted
		}
	}
	if threadLevel != nil {
		w.Level, w.Chosen = WatchLevel(*threadLevel), true
	}
	return w
}

// SetThreadLevel sets v's level for a thread they can see.
func (f *Forum) SetThreadLevel(ctx context.Context, v Viewer, threadID int64, level WatchLevel) error {
	if _, err := ParseWatchLevel(string(level)); err != nil {
		return err
	}
	if !v.SignedIn() {
		return fmt.Errorf("watch thread %d: %w", threadID, ErrUnauthorized)
	}
	if _, err := f.ThreadByID(ctx, v, threadID); err != nil {
		return err
	}
	tag, err := f.db.Exec(ctx, `INSERT INTO member_threads AS mt (thread_id, member_id, level)
		SELECT $1, m.actor_id, $3 FROM members m WHERE m.actor_id = $2
		ON CONFLICT (thread_id, member_id) DO UPDATE SET level = excluded.level`, threadID, v.ActorID, level)
	if err != nil {
		return fmt.Errorf("watch thread %d: %w", threadID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("watch thread %d: member %d: %w", threadID, v.ActorID, ErrUnauthorized)
	}
	f.readers.keyChanged(v.ActorID) // reader_changes.go
	return nil
}

// WatchForFollowersOf makes the members here who follow actor (a remote thread's actor) watch
// thread, the mirror of what it relays, unless they chose a level for it: following a thread is
// asking to hear of its replies.
func (f *Forum) WatchForFollowersOf(ctx context.Context, actorID, threadID int64) error {
	_, err := f.db.Exec(ctx, `INSERT INTO member_threads AS mt (thread_id, member_id, level)
		SELECT $2, fo.follower_id, 'watching' FROM follows fo JOIN actors l ON l.id = fo.follower_id AND l.domain IS NULL
		WHERE fo.target_id = $1 AND fo.state = 'accepted'
		ON CONFLICT (thread_id, member_id) DO UPDATE SET level = 'watching' WHERE mt.level IS NULL`, actorID, threadID)
	if err != nil {
		return fmt.Errorf("watch thread %d for the followers of %d: %w", threadID, actorID, err)
	}
	return nil
}

// SetCategoryLevel sets v's level for a category they can see. Tracking removes the row: it is
// the default.
func (f *Forum) SetCategoryLevel(ctx context.Context, v Viewer, categoryID int64, level WatchLevel) error {
	if _, err := ParseWatchLevel(string(level)); err != nil {
		return err
	}
	if !v.SignedIn() {
		return fmt.Errorf("watch category %d: %w", categoryID, ErrUnauthorized)
	}
	c, err := f.CategoryByID(ctx, categoryID)
	if err != nil {
		return err
	}
	perm, err := f.Permissions(ctx, v, c)
	if err != nil {
		return err
	}
	if !perm.See {
		return fmt.Errorf("category %d: %w", categoryID, ErrNotFound)
	}
	var tagErr error
	if level == Tracking {
		_, tagErr = f.db.Exec(ctx, `DELETE FROM member_categories WHERE category_id = $1 AND member_id = $2`, categoryID, v.ActorID)
	} else {
		tag, err := f.db.Exec(ctx, `INSERT INTO member_categories (category_id, member_id, level)
			SELECT $1, m.actor_id, $3 FROM members m WHERE m.actor_id = $2
			ON CONFLICT (category_id, member_id) DO UPDATE SET level = excluded.level`, categoryID, v.ActorID, level)
		if err == nil && tag.RowsAffected() == 0 {
			err = fmt.Errorf("member %d: %w", v.ActorID, ErrUnauthorized)
		}
		tagErr = err
	}
	if tagErr != nil {
		return fmt.Errorf("watch category %d: %w", categoryID, tagErr)
	}
	f.readers.keyChanged(v.ActorID) // reader_changes.go
	return nil
}

// CategoryLevel is v's level for a category (Tracking for guests and by default).
func (f *Forum) CategoryLevel(ctx context.Context, v Viewer, categoryID int64) (WatchLevel, error) {
	if !v.SignedIn() {
		return Tracking, nil
	}
	var level WatchLevel
	err := f.db.QueryRow(ctx, `SELECT level FROM member_categories WHERE category_id = $1 AND member_id = $2`,
		categoryID, v.ActorID).Scan(&level)
	if errors.Is(err, pgx.ErrNoRows) {
		return Tracking, nil
	}
	if err != nil {
		return "", fmt.Errorf("level for category %d: %w", categoryID, err)
	}
	return level, nil
}
