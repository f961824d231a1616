package forum

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Permissions are read on every page and change a few times a year, so each process compiles them
// once per role set and keeps them in memory.
//
// Invalidation, and why this way: migration 0020's triggers (and, for the columns they do not
// watch, category_cache.go's explicit notifications) NOTIFY stoa_categories_changed whenever
// categories or their grids change, whoever changes them, and ListenForChanges drops the cache
// when a notification arrives. That costs nothing per request, where checking a version number
// would cost a query on every page. The process that makes a change also drops its own cache at
// once (so an admin sees their change on the next page), a category the cache has not heard of
// triggers a reload, and a snapshot older than permSnapshotTTL is reloaded (in the background,
// served meanwhile), which bounds staleness if a notification is ever lost (the listener
// reconnecting, or a process that does not listen).
const (
	permissionsChannel = "stoa_categories_changed"
	permSnapshotTTL    = 5 * time.Minute
	// missReloadEvery bounds reloads caused by unknown category ids.
	missReloadEvery = time.Second
)

// permCache holds the snapshot (reloadingCache: reloaded in the background once stale).
type permCache struct {
	snaps reloadingCache[*permSnapshot]

	missMu   sync.Mutex
	lastMiss time.Time
}

func newPermCache() *permCache {
	return &permCache{snaps: reloadingCache[*permSnapshot]{ttl: permSnapshotTTL, maxAge: 2 * permSnapshotTTL}}
}

// permSnapshot is the rules of every category at one moment, with the permissions compiled from
// them per role set (lazily: most processes only ever see a few role sets).
type permSnapshot struct {
	rules    []categoryRules // parents before children
	defs     categoryDefs
	mu       sync.Mutex
	compiled map[string]*compiledPerms
}

type compiledPerms struct {
	byCategory map[int64]Permission
	visible    []int64
}

func (c *permCache) invalidate() { c.snaps.invalidate() }

// snapshot returns the current snapshot, loading it first when there is none to serve.
func (c *permCache) snapshot(ctx context.Context, f *Forum) (*permSnapshot, error) {
	return c.snaps.get(ctx, func(ctx context.Context) (*permSnapshot, error) { return loadPermSnapshot(ctx, f.db) })
}

func (c *permCache) compiledFor(ctx context.Context, f *Forum, v Viewer) (*compiledPerms, error) {
	s, err := c.snapshot(ctx, f)
	if err != nil {
		return nil, err
	}
	return s.compiledFor(roleSet(v)), nil
}

// reloadForMissing drops the snapshot (at most once per missReloadEvery) because a caller holds a
// category the snapshot does not know, and returns the fresh compilation.
func (c *permCache) reloadForMissing(ctx context.Context, f *Forum, v Viewer) (*compiledPerms, error) {
	c.missMu.Lock()
	if time.Since(c.lastMiss) >= missReloadEvery {
		c.lastMiss = time.Now()
		c.snaps.invalidate()
	}
	c.missMu.Unlock()
	return c.compiledFor(ctx, f, v)
}

func (s *permSnapshot) compiledFor(roles []Role) *compiledPerms {
	key := rolesKey(roles)
	s.mu.Lock()
	defer s.mu.Unlock()
	if cp, ok := s.compiled[key]; ok {
		return cp
	}
	cp := &compiledPerms{byCategory: make(map[int64]Permission, len(s.rules))}
	for _, r := range s.rules {
		var parent *Permission
		if r.ParentID != nil {
			if pp, ok := cp.byCategory[*r.ParentID]; ok {
				parent = &pp
			}
		}
		p := compile(roles, r, parent)
		cp.byCategory[r.ID] = p
		if p.See {
			cp.visible = append(cp.visible, r.ID)
		}
	}
	slices.Sort(cp.visible)
	s.compiled[key] = cp
	return cp
}

func rolesKey(roles []Role) string {
	parts := make([]string, len(roles))
	for i, r := range roles {
		parts[i] = string(r)
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

// q is the pool, or a transaction that changed the rules and must judge by its own changes.
func loadPermSnapshot(ctx context.Context, q querier) (*permSnapshot, error) {
	type gridRow struct {
		CategoryID int64 `db:"category_id"`
		RolePermission
	}
	// Parents first, so compiling can look a parent up before its children. The whole definition
	// of each category is loaded, not just its rules: pages read categories from the snapshot too
	// (category_cache.go).
	rows, err := q.Query(ctx, `SELECT `+categoryColumns+` FROM categories c ORDER BY c.parent_id IS NOT NULL, c.id`)
	if err != nil {
		return nil, fmt.Errorf("load category rules: %w", err)
	}
	cats, err := pgx.CollectRows(rows, pgx.RowToStructByName[Category])
	if err != nil {
		return nil, fmt.Errorf("load category rules: %w", err)
	}
	rows, err = q.Query(ctx, `SELECT category_id, role, may_see, may_start, may_reply FROM category_permissions`)
	if err != nil {
		return nil, fmt.Errorf("load category permissions: %w", err)
	}
	grid, err := pgx.CollectRows(rows, pgx.RowToStructByName[gridRow])
	if err != nil {
		return nil, fmt.Errorf("load category permissions: %w", err)
	}
	byCat := map[int64]map[Role]RolePermission{}
	for _, g := range grid {
		if byCat[g.CategoryID] == nil {
			byCat[g.CategoryID] = map[Role]RolePermission{}
		}
		byCat[g.CategoryID][g.Role] = g.RolePermission
	}
	s := &permSnapshot{compiled: map[string]*compiledPerms{}, defs: newCategoryDefs(cats)}
	for _, c := range cats {
		s.rules = append(s.rules, categoryRules{ID: c.ID, ParentID: c.ParentID, RestrictedToMods: c.PostingRestrictedToMods, Grid: byCat[c.ID]})
	}
	return s, nil
}
