package forum

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// Permission is what one viewer may do in one category.
type Permission struct {
	See   bool // read the category and its threads
	Start bool // start threads
	Reply bool // reply to threads
	// Moderate: lock, pin, move, hide and delete anyone's threads and posts. Site staff only.
	Moderate bool
}

// RolePermission is one row of a category's permission grid, as the admin page edits it.
type RolePermission struct {
	Role  Role `db:"role"`
	See   bool `db:"may_see"`
	Start bool `db:"may_start"`
	Reply bool `db:"may_reply"`
}

// GridRoles are the roles a category's grid has a row for, in display order. Admins are not among
// them: they may always do everything (they could give it back to themselves anyway).
var GridRoles = []Role{RoleGuest, RoleMember, RoleModerator}

// DefaultRolePermission is a role's permission in a category whose grid was never edited: everyone
// reads, members and moderators start threads and reply.
func DefaultRolePermission(r Role) RolePermission {
	if r == RoleGuest {
		return RolePermission{Role: r, See: true}
	}
	return RolePermission{Role: r, See: true, Start: true, Reply: true}
}

// roleSet is every role whose permissions a viewer holds: a member is also a guest, a moderator
// also a member, and so on. Effective permissions are the union over the set, so giving guests a
// right never takes it from members.
func roleSet(v Viewer) []Role {
	switch v.Role {
	case RoleAdmin:
		return []Role{RoleGuest, RoleMember, RoleModerator, RoleAdmin}
	case RoleModerator:
		return []Role{RoleGuest, RoleMember, RoleModerator}
	case RoleMember:
		return []Role{RoleGuest, RoleMember}
	}
	return []Role{RoleGuest}
}

// Permissions returns what v may do in category c.
func (f *Forum) Permissions(ctx context.Context, v Viewer, c Category) (Permission, error) {
	cp, err := f.perms.compiledFor(ctx, f, v)
	if err != nil {
		return Permission{}, err
	}
	if p, ok := cp.byCategory[c.ID]; ok {
		return p, nil
	}
	// A category this process has not heard of yet (created a moment ago by another process
	// whose notification is still on its way): reload once, then fall back to its defaults.
	if cp, err = f.perms.reloadForMissing(ctx, f, v); err != nil {
		return Permission{}, err
	}
	if p, ok := cp.byCategory[c.ID]; ok {
		return p, nil
	}
	return compile(roleSet(v), categoryRules{ID: c.ID, ParentID: c.ParentID, RestrictedToMods: c.PostingRestrictedToMods}, nil), nil
}

// VisibleCategoryIDs lists every category v may see (the "latest" list reads from these).
func (f *Forum) VisibleCategoryIDs(ctx context.Context, v Viewer) ([]int64, error) {
	cp, err := f.perms.compiledFor(ctx, f, v)
	if err != nil {
		return nil, err
	}
	return cp.visible, nil
}

// categoryRules is what permissions are compiled from, per category.
type categoryRules struct {
	ID               int64
	ParentID         *int64
	RestrictedToMods bool
	Grid             map[Role]RolePermission // missing roles take the defaults
}

// compile turns a category's rules into one role set's permission. parent is the compiled
// permission of the parent category (nil for top-level ones): what cannot be seen cannot be
// entered through a sub-category either.
func compile(roles []Role, c categoryRules, parent *Permission) Permission {
	var p Permission
	for _, r := range roles {
		if r == RoleAdmin {
			return Permission{See: true, Start: true, Reply: true, Moderate: true}
		}
		if r == RoleModerator {
			p.Moderate = true
		}
		rp, ok := c.Grid[r]
		if !ok {
			rp = DefaultRolePermission(r)
		}
		p.See = p.See || rp.See
		p.Start = p.Start || rp.Start
		p.Reply = p.Reply || rp.Reply
	}
	if c.RestrictedToMods && !p.Moderate {
		p.Start = false
	}
	if parent != nil && !parent.See {
		p.See = false
	}
	if !p.See {
		p = Permission{}
	}
	return p
}

// PermissionGrid returns a category's grid, one row per GridRoles entry. Admins only.
func (f *Forum) PermissionGrid(ctx context.Context, by Viewer, categoryID int64) ([]RolePermission, error) {
	if !by.IsAdmin() {
		return nil, fmt.Errorf("permission grid: %w", ErrForbidden)
	}
	rows, err := f.db.Query(ctx, `SELECT role, may_see, may_start, may_reply FROM category_permissions
		WHERE category_id = $1`, categoryID)
	if err != nil {
		return nil, fmt.Errorf("permission grid of category %d: %w", categoryID, err)
	}
	stored, err := pgx.CollectRows(rows, pgx.RowToStructByName[RolePermission])
	if err != nil {
		return nil, fmt.Errorf("permission grid of category %d: %w", categoryID, err)
	}
	grid := make([]RolePermission, 0, len(GridRoles))
	for _, r := range GridRoles {
		rp := DefaultRolePermission(r)
		for _, s := range stored {
			if s.Role == r {
				rp = s
			}
		}
		grid = append(grid, rp)
	}
	return grid, nil
}

// SetPermissionGrid replaces a local category's grid. Admins only. Rights imply reading (a role
// that may reply may see), guests can never post, and the category's postingRestrictedToMods (what
// federation publishes for the Group) follows from whether guests or members may start threads.
func (f *Forum) SetPermissionGrid(ctx context.Context, by Viewer, categoryID int64, grid []RolePermission) error {
	if !by.IsAdmin() {
		return fmt.Errorf("set permission grid: %w", ErrForbidden)
	}
	v := &ValidationError{}
	seen := map[Role]bool{}
	for i := range grid {
		rp := &grid[i]
		if !slices.Contains(GridRoles, rp.Role) {
			v.Add("role", "%q has no row in the permission grid", rp.Role)
			continue
		}
		if seen[rp.Role] {
			v.Add("role", "%q is listed twice", rp.Role)
		}
		seen[rp.Role] = true
		if rp.Role == RoleGuest && (rp.Start || rp.Reply) {
			v.Add(string(rp.Role), "guests cannot start threads or reply: they have no account to post as")
		}
		if (rp.Start || rp.Reply) && !rp.See {
			v.Add(string(rp.Role), "a role that may start threads or reply must be able to see the category")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	restricted := true
	for _, r := range []Role{RoleGuest, RoleMember} {
		rp := DefaultRolePermission(r)
		for _, g := range grid {
			if g.Role == r {
				rp = g
			}
		}
		if rp.Start {
			restricted = false
		}
	}
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		c, err := categoryForUpdate(ctx, tx, categoryID)
		if err != nil {
			return err
		}
		if !c.Local() {
			return fmt.Errorf("category %d is remote: %w", categoryID, ErrForbidden)
		}
		for _, rp := range grid {
			if _, err := tx.Exec(ctx, `INSERT INTO category_permissions (category_id, role, may_see, may_start, may_reply)
				VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (category_id, role) DO UPDATE SET may_see = $3, may_start = $4, may_reply = $5`,
				categoryID, rp.Role, rp.See, rp.Start, rp.Reply); err != nil {
				return err
			}
		}
		if restricted != c.PostingRestrictedToMods {
			if _, err := tx.Exec(ctx, `UPDATE categories SET posting_restricted_to_mods = $2 WHERE id = $1`, categoryID, restricted); err != nil {
				return err
			}
			// The Group's postingRestrictedToMods changed: followers' servers should hear of it.
			if _, err := f.recordActivity(ctx, tx, NewActivity{Verb: VerbUpdate, ActorID: c.ActorID, TargetActorID: &c.ActorID, CategoryID: &c.ID}); err != nil {
				return err
			}
		}
		if err := f.settleCategoryOutOfSight(ctx, tx, categoryID); err != nil {
			return err
		}
		return f.logModeration(ctx, tx, by, ModerationEntry{Action: "set_category_permissions", CategoryID: &categoryID})
	})
	if err != nil {
		return fmt.Errorf("set permission grid of category %d: %w", categoryID, err)
	}
	f.perms.invalidate()
	return nil
}

// actingMember re-reads, inside the writing transaction, the member a viewer claims to be: signed
// in, still a member, not banned (members.banned_until in the future) and not suspended. The
// returned viewer carries the role as stored now, so a role taken away since sign-in counts at once.
func actingMember(ctx context.Context, tx pgx.Tx, by Viewer) (Viewer, error) {
	v, _, err := actingMemberState(ctx, tx, by)
	return v, err
}

// actingPoster is actingMember for a new post or thread: the member must also have confirmed their
// address if the site asks for it (email_confirmation.go). Staff need no confirmation: the check
// keeps sign-up spam out, and an admin who changes their address on a forum without mail set up
// must not be locked out of posting until they read the log. The posting budget is spent later
// (spendPostBudget), once the submission is known not to repeat one just made: a client retrying
// after a timeout gets its post back, not "too fast".
func (f *Forum) actingPoster(ctx context.Context, tx pgx.Tx, by Viewer) (Viewer, error) {
	v, unconfirmed, err := actingMemberState(ctx, tx, by)
	if err != nil {
		return Viewer{}, err
	}
	if unconfirmed && !v.IsStaff() {
		return Viewer{}, fmt.Errorf("member %s: %w", v.Username, ErrEmailUnconfirmed)
	}
	return v, nil
}

// actingMemberState is actingMember, also saying whether the member still has to confirm their
// address before they post.
func actingMemberState(ctx context.Context, tx pgx.Tx, by Viewer) (v Viewer, unconfirmed bool, err error) {
	if !by.SignedIn() {
		return Viewer{}, false, fmt.Errorf("post: %w", ErrUnauthorized)
	}
	var banned, suspended bool
	err = tx.QueryRow(ctx, `SELECT a.id, a.username, m.role, coalesce(m.banned_until > now(), false), a.suspended_at IS NOT NULL,
			m.email_confirmed_at IS NULL AND (SELECT confirm_email FROM site_settings)
		FROM members m JOIN actors a ON a.id = m.actor_id WHERE m.actor_id = $1`, by.ActorID).
		Scan(&v.ActorID, &v.Username, &v.Role, &banned, &suspended, &unconfirmed)
	if errors.Is(err, pgx.ErrNoRows) {
		return Viewer{}, false, fmt.Errorf("member %d: %w", by.ActorID, ErrUnauthorized)
	}
	if err != nil {
		return Viewer{}, false, fmt.Errorf("member %d: %w", by.ActorID, err)
	}
	if banned || suspended {
		return Viewer{}, false, fmt.Errorf("member %s is banned: %w", v.Username, ErrForbidden)
	}
	return v, unconfirmed, nil
}
