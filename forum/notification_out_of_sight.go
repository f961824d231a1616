package forum

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// readableAgainSQL is what a settled notification's post p and thread t must be for it to count
// again: neither removed (a hide undone, a thread or category back in sight).
const readableAgainSQL = `p.hidden_at IS NULL AND p.deleted_at IS NULL AND t.hidden_at IS NULL AND t.deleted_at IS NULL`

// settleMemberOutOfSight is settleCategoryOutOfSight for one member whose role just changed: a
// moderator made a member no longer sees the staff-only categories, and the header must not keep
// counting notifications they can no longer open; one made a moderator again sees them again.
func settleMemberOutOfSight(ctx context.Context, tx pgx.Tx, memberID int64, role Role) error {
	s, err := loadPermSnapshot(ctx, tx)
	if err != nil {
		return err
	}
	perms := s.compiledFor(roleSet(Viewer{Role: role}))
	var blind, seeing []int64
	for _, r := range s.rules {
		if perms.byCategory[r.ID].See {
			seeing = append(seeing, r.ID)
		} else {
			blind = append(blind, r.ID)
		}
	}
	// A member no longer reads hidden threads but their own (threadVisible), as staff do.
	if _, err := tx.Exec(ctx, `UPDATE notifications n SET read_at = now(), settled_by_removal = true FROM threads t
		WHERE n.member_id = $1 AND n.read_at IS NULL AND t.id = n.thread_id
			AND (t.category_id = ANY($2) OR ($3 AND t.hidden_at IS NOT NULL AND t.author_id <> $1))`,
		memberID, blind, role == RoleMember); err != nil {
		return fmt.Errorf("settle notifications of member %d out of sight: %w", memberID, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE notifications n SET read_at = NULL, settled_by_removal = false FROM threads t, posts p
		WHERE n.member_id = $1 AND n.settled_by_removal AND t.id = n.thread_id AND t.category_id = ANY($2)
			AND p.id = n.post_id AND `+readableAgainSQL,
		memberID, seeing); err != nil {
		return fmt.Errorf("restore notifications of member %d back in sight: %w", memberID, err)
	}
	return nil
}

// settleCategoryOutOfSight marks read the unread notifications about threads in category id and
// its sub-categories for the members whose role may not see them once tx commits: a permission
// grid that closes the category to members, or a new parent that is closed to them. They can no
// longer open those notifications, and the header must not keep counting them (the same reason as
// settleUnseenNotifications for a moved thread). Those it (or a thread's move) settled become unread
// again for the roles that see the category again, as a hide undone makes them. The rules are read
// in tx, so its own change counts; admins see everything.
func (f *Forum) settleCategoryOutOfSight(ctx context.Context, tx pgx.Tx, id int64) error {
	s, err := loadPermSnapshot(ctx, tx)
	if err != nil {
		return err
	}
	affected := map[int64]bool{id: true}
	for _, r := range s.rules { // parents before children
		if r.ParentID != nil && affected[*r.ParentID] {
			affected[r.ID] = true
		}
	}
	for _, role := range []Role{RoleMember, RoleModerator} {
		perms := s.compiledFor(roleSet(Viewer{Role: role}))
		var blind, seeing []int64
		for cat := range affected {
			if perms.byCategory[cat].See {
				seeing = append(seeing, cat)
			} else {
				blind = append(blind, cat)
			}
		}
		// Settled, they are marked so (settled_by_removal): the category opened again, or put
		// back where the role sees it, makes them unread again, as a hide undone does.
		if _, err := tx.Exec(ctx, `UPDATE notifications n SET read_at = now(), settled_by_removal = true FROM members m, threads t
			WHERE cardinality($2::bigint[]) > 0 AND m.actor_id = n.member_id AND m.role = $1 AND n.read_at IS NULL
				AND t.id = n.thread_id AND t.category_id = ANY($2)`, role, blind); err != nil {
			return fmt.Errorf("settle notifications of categories out of %ss' sight: %w", role, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE notifications n SET read_at = NULL, settled_by_removal = false
			FROM members m, threads t, posts p
			WHERE cardinality($2::bigint[]) > 0 AND n.settled_by_removal AND m.actor_id = n.member_id AND m.role = $1
				AND t.id = n.thread_id AND t.category_id = ANY($2) AND p.id = n.post_id
				AND `+readableAgainSQL,
			role, seeing); err != nil {
			return fmt.Errorf("restore notifications of categories back in %ss' sight: %w", role, err)
		}
	}
	return nil
}
