package forum

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// settleCategoryOutOfSight marks read the unread notifications about threads in category id and
// its sub-categories for the members whose role may not see them once tx commits: a permission
// grid that closes the category to members, or a new parent that is closed to them. They can no
// longer open those notifications, and the header must not keep counting them (the same reason as
// settleUnseenNotifications for a moved thread). The rules are read in tx, so its own change
// counts; admins see everything.
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
		var blind []int64
		for cat := range affected {
			if !perms.byCategory[cat].See {
				blind = append(blind, cat)
			}
		}
		if len(blind) == 0 {
			continue
		}
		if _, err := tx.Exec(ctx, `UPDATE notifications n SET read_at = now() FROM members m, threads t
			WHERE m.actor_id = n.member_id AND m.role = $1 AND n.read_at IS NULL
				AND t.id = n.thread_id AND t.category_id = ANY($2)`, role, blind); err != nil {
			return fmt.Errorf("settle notifications of categories out of %ss' sight: %w", role, err)
		}
	}
	return nil
}
