package forum

import (
	"cmp"
	"context"
	"slices"
	"strings"
)

// Pages read a category on every request (the category page by its handle, a thread page by its
// id, the sub-category strip) and categories change a few times a year, so their definitions are
// served from the permission snapshot this process already keeps (permission_cache.go): same
// load, same invalidation. Every change to a category's definition notifies
// stoa_categories_changed: inserts, deletes and updates of parent, rules or domain through
// migration 0020's trigger (UpdateCategory sets parent_id, so it fires), and the two updates that
// touch nothing it watches (ReorderCategory's positions, SyncRemoteCategory's titles) with an
// explicit pg_notify in their statement. Every listening process then drops the snapshot; the
// process making the change drops its own at once; permSnapshotTTL bounds how stale a process
// that missed a notification can be. That is the multi-process story: no per-request version
// check, the notification is the check. (A trigger on every column would be tidier, but a
// migration numbered in this change's range, 0071-0079, would never run on a database already at
// 0096: the migrator applies only versions above the newest applied one.)
//
// The counters (thread_count, post_count, last_post_at) change with every post and are NOT part
// of the definition: a cached category carries them as zero. Pages that show them (the index,
// the admin list) read categories with LocalCategories / CategoryByID, which go to the database.

// categoryDefs are every category's definition at the snapshot's load, indexed for pages.
type categoryDefs struct {
	byID     map[int64]Category
	byHandle map[string]int64  // local: slug; remote: lower(slug)@lower(domain), the first by id
	children map[int64][]int64 // local sub-categories by parent, in display order
}

func newCategoryDefs(cats []Category) categoryDefs {
	d := categoryDefs{byID: make(map[int64]Category, len(cats)), byHandle: make(map[string]int64, len(cats)),
		children: map[int64][]int64{}}
	byID := slices.Clone(cats)
	slices.SortFunc(byID, func(a, b Category) int { return cmp.Compare(a.ID, b.ID) })
	for _, c := range byID {
		c.ThreadCount, c.PostCount, c.LastPostAt = 0, 0, nil
		d.byID[c.ID] = c
		key := c.Slug
		if !c.Local() {
			key = strings.ToLower(c.Slug) + "@" + strings.ToLower(c.Domain)
		}
		if _, taken := d.byHandle[key]; !taken {
			d.byHandle[key] = c.ID
		}
		if c.ParentID != nil && c.Local() {
			d.children[*c.ParentID] = append(d.children[*c.ParentID], c.ID)
		}
	}
	for _, ids := range d.children {
		slices.SortFunc(ids, func(a, b int64) int {
			ca, cb := d.byID[a], d.byID[b]
			return cmp.Or(cmp.Compare(ca.Position, cb.Position), cmp.Compare(a, b))
		})
	}
	return d
}

// cachedCategoryByHandle is CategoryByHandle from the snapshot, counters zero. A handle the
// snapshot does not know goes to the database: a category created a moment ago in another
// process, or (most often) no category at all.
func (f *Forum) cachedCategoryByHandle(ctx context.Context, handle string) (Category, error) {
	slug, domain, remote := strings.Cut(strings.TrimPrefix(strings.TrimSpace(handle), "@"), "@")
	key := NormalizeHandle(slug)
	if remote {
		key = strings.ToLower(slug) + "@" + strings.ToLower(domain)
	}
	s, err := f.perms.snapshot(ctx, f)
	if err != nil {
		return Category{}, err
	}
	if id, ok := s.defs.byHandle[key]; ok {
		return s.defs.byID[id], nil
	}
	return f.categoryByHandleFromDB(ctx, handle)
}

// categoryDefinition is a category by id from the snapshot, counters zero; one the snapshot does
// not know is read from the database.
func (f *Forum) categoryDefinition(ctx context.Context, id int64) (Category, error) {
	s, err := f.perms.snapshot(ctx, f)
	if err != nil {
		return Category{}, err
	}
	if c, ok := s.defs.byID[id]; ok {
		return c, nil
	}
	return f.CategoryByID(ctx, id)
}

// VisibleSubCategories lists the local sub-categories of parent that v may see, in display order,
// counters zero (the category page's strip), without a query.
func (f *Forum) VisibleSubCategories(ctx context.Context, v Viewer, parent int64) ([]Category, error) {
	s, err := f.perms.snapshot(ctx, f)
	if err != nil {
		return nil, err
	}
	cp := s.compiledFor(roleSet(v))
	var out []Category
	for _, id := range s.defs.children[parent] {
		if cp.byCategory[id].See {
			out = append(out, s.defs.byID[id])
		}
	}
	return out, nil
}
