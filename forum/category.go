package forum

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Category is a place threads live; locally an admin-managed section of the forum, remotely a Group
// on another server that local members follow. Domain is empty for local categories.
type Category struct {
	ID                      int64      `db:"id"`
	ActorID                 int64      `db:"actor_id"`
	ParentID                *int64     `db:"parent_id"`
	Slug                    string     `db:"slug"`
	Domain                  string     `db:"domain"`
	Title                   string     `db:"title"`
	Description             string     `db:"description"`
	Position                int        `db:"position"`
	NoteMode                bool       `db:"note_mode"`
	PostingRestrictedToMods bool       `db:"posting_restricted_to_mods"`
	ThreadCount             int        `db:"thread_count"`
	PostCount               int64      `db:"post_count"`
	LastPostAt              *time.Time `db:"last_post_at"`
	CreatedAt               time.Time  `db:"created_at"`
}

// Local reports whether the category lives on this instance.
func (c Category) Local() bool { return c.Domain == "" }

// Handle is slug for local categories and slug@domain for remote ones.
func (c Category) Handle() string {
	if c.Local() {
		return c.Slug
	}
	return c.Slug + "@" + c.Domain
}

// NewCategory is the input to CreateCategory.
type NewCategory struct {
	Slug        string
	Title       string
	Description string
	ParentID    *int64
	Position    int
	NoteMode    bool
}

const categoryColumns = `c.id, c.actor_id, c.parent_id, c.slug, coalesce(c.domain, '') AS domain, c.title,
	c.description, c.position, c.note_mode, c.posting_restricted_to_mods, ` + categoryTotals + `, c.created_at`

// CreateCategory makes a local category and its Group actor. Only admins may. A zero Position puts
// it after its siblings.
func (f *Forum) CreateCategory(ctx context.Context, by Viewer, in NewCategory) (Category, error) {
	if !by.IsAdmin() {
		return Category{}, fmt.Errorf("create category: %w", ErrForbidden)
	}
	in.Slug = NormalizeHandle(in.Slug)
	if err := checkText("title", in.Title); err != nil {
		return Category{}, err
	}
	in.Title = cleanLine(in.Title) // as thread titles: no bidi overrides, no invisible-only titles
	v := &ValidationError{}
	if err := ValidateHandle("slug", in.Slug); err != nil {
		v.Problems = append(v.Problems, err.(*ValidationError).Problems...)
	}
	validateCategoryText(v, in.Title, in.Description)
	if err := v.Err(); err != nil {
		return Category{}, err
	}
	var id int64
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		if err := checkParent(ctx, tx, in.ParentID, 0); err != nil {
			return err
		}
		actorID, err := f.insertLocalActor(ctx, tx, "slug", ActorGroup, in.Slug, in.Title)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE actors SET summary_html = $2 WHERE id = $1`, actorID, escapeParagraphs(in.Description)); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO categories (actor_id, parent_id, slug, title, description, position, note_mode)
			VALUES ($1, $2, $3, $4, $5,
				CASE WHEN $6 <> 0 THEN $6 ELSE (SELECT coalesce(max(position), 0) + 1 FROM categories
					WHERE domain IS NULL AND parent_id IS NOT DISTINCT FROM $2) END,
				$7) RETURNING id`,
			actorID, in.ParentID, in.Slug, in.Title, in.Description, in.Position, in.NoteMode).Scan(&id); err != nil {
			return err
		}
		// A new category is visible to everyone the default grid lets in, so its creation is an
		// admin action worth a line in the log like its later changes.
		return f.logModeration(ctx, tx, by, ModerationEntry{Action: "create_category", CategoryID: &id})
	})
	if err != nil {
		return Category{}, fmt.Errorf("create category %q: %w", in.Slug, err)
	}
	f.perms.invalidate()
	return f.CategoryByID(ctx, id)
}

func validateCategoryText(v *ValidationError, title, description string) {
	if title == "" || len([]rune(title)) > 100 {
		v.Add("title", "must be 1 to 100 characters")
	}
	if len([]rune(description)) > 2000 {
		v.Add("description", "must be at most 2000 characters")
	}
}

// checkParent enforces one level of sub-categories, which keeps navigation and permissions
// simple: the parent must be a local top-level category, not the category itself, and a category
// that has sub-categories cannot become one (self is 0 for a new category).
func checkParent(ctx context.Context, tx pgx.Tx, parentID *int64, self int64) error {
	if parentID == nil {
		return nil
	}
	if *parentID == self {
		return Invalid("parent", "cannot be the category itself")
	}
	var parentOfParent *int64
	var domain *string
	err := tx.QueryRow(ctx, `SELECT parent_id, domain FROM categories WHERE id = $1`, *parentID).Scan(&parentOfParent, &domain)
	if err != nil {
		return Invalid("parent", "does not exist")
	}
	if parentOfParent != nil || domain != nil {
		return Invalid("parent", "must be a local top-level category")
	}
	if self != 0 {
		var hasChildren bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM categories WHERE parent_id = $1)`, self).Scan(&hasChildren); err != nil {
			return err
		}
		if hasChildren {
			return Invalid("parent", "a category with sub-categories cannot become a sub-category")
		}
	}
	return nil
}

func (f *Forum) queryCategories(ctx context.Context, where string, args ...any) ([]Category, error) {
	return queryCategoriesOn(ctx, f.db, where, args...)
}

func queryCategoriesOn(ctx context.Context, q pgQuerier, where string, args ...any) ([]Category, error) {
	rows, err := q.Query(ctx, "SELECT "+categoryColumns+" FROM categories c WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[Category])
}

// CategoryByID loads a category.
func (f *Forum) CategoryByID(ctx context.Context, id int64) (Category, error) {
	return categoryByIDOn(ctx, f.db, id)
}

// categoryByIDOn is CategoryByID through q: a transaction reads with its own connection, never a
// second one from the pool (a transaction holding a row lock while it waits for the pool, whose
// connections are all held by transactions waiting for that lock, waits forever).
func categoryByIDOn(ctx context.Context, q pgQuerier, id int64) (Category, error) {
	cs, err := queryCategoriesOn(ctx, q, "c.id = $1", id)
	if err != nil {
		return Category{}, fmt.Errorf("category %d: %w", id, err)
	}
	if len(cs) == 0 {
		return Category{}, fmt.Errorf("category %d: %w", id, ErrNotFound)
	}
	return cs[0], nil
}

// CategoryBySlug loads a local category.
func (f *Forum) CategoryBySlug(ctx context.Context, slug string) (Category, error) {
	cs, err := f.queryCategories(ctx, "c.domain IS NULL AND c.slug = $1", NormalizeHandle(slug))
	if err != nil {
		return Category{}, fmt.Errorf("category %q: %w", slug, err)
	}
	if len(cs) == 0 {
		return Category{}, fmt.Errorf("category %q: %w", slug, ErrNotFound)
	}
	return cs[0], nil
}

// LocalCategories lists local categories in display order: each top-level category followed by its
// sub-categories.
func (f *Forum) LocalCategories(ctx context.Context) ([]Category, error) {
	cs, err := f.queryCategories(ctx, `c.domain IS NULL
		ORDER BY coalesce((SELECT p.position FROM categories p WHERE p.id = c.parent_id), c.position),
		         coalesce(c.parent_id, c.id), c.parent_id IS NOT NULL, c.position, c.id`)
	if err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	return cs, nil
}

// VisibleCategories lists the local categories v may see, in display order.
func (f *Forum) VisibleCategories(ctx context.Context, v Viewer) ([]Category, error) {
	all, err := f.LocalCategories(ctx)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, c := range all {
		p, err := f.Permissions(ctx, v, c)
		if err != nil {
			return nil, err
		}
		if p.See {
			out = append(out, c)
		}
	}
	return out, nil
}

// categoryForUpdate loads a category and locks its row for the rest of tx.
func categoryForUpdate(ctx context.Context, tx pgx.Tx, id int64) (Category, error) {
	rows, err := tx.Query(ctx, "SELECT "+categoryColumns+" FROM categories c WHERE c.id = $1 FOR UPDATE", id)
	if err != nil {
		return Category{}, err
	}
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Category])
	if err != nil {
		return Category{}, notFound(err, fmt.Sprintf("category %d", id))
	}
	return c, nil
}

// CategoryEdit is the input to UpdateCategory. The slug cannot change: it is the Group's handle,
// and other servers know the category by it.
type CategoryEdit struct {
	Title       string
	Description string
	ParentID    *int64
	NoteMode    bool
}

// UpdateCategory edits a local category. Admins only. The Group actor's name and summary follow,
// and followers' servers are sent an Update of the Group.
func (f *Forum) UpdateCategory(ctx context.Context, by Viewer, id int64, in CategoryEdit) (Category, error) {
	if !by.IsAdmin() {
		return Category{}, fmt.Errorf("update category: %w", ErrForbidden)
	}
	if err := checkText("title", in.Title); err != nil {
		return Category{}, err
	}
	in.Title = cleanLine(in.Title) // as thread titles: no bidi overrides, no invisible-only titles
	v := &ValidationError{}
	validateCategoryText(v, in.Title, in.Description)
	if err := v.Err(); err != nil {
		return Category{}, err
	}
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		c, err := categoryForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if !c.Local() {
			return fmt.Errorf("category %d is remote: %w", id, ErrForbidden)
		}
		if err := checkParent(ctx, tx, in.ParentID, id); err != nil {
			return err
		}
		position := c.Position
		if !sameParent(c.ParentID, in.ParentID) {
			// Moving under another parent: go last among the new siblings.
			if err := tx.QueryRow(ctx, `SELECT coalesce(max(position), 0) + 1 FROM categories
				WHERE domain IS NULL AND parent_id IS NOT DISTINCT FROM $1`, in.ParentID).Scan(&position); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE categories SET title = $2, description = $3, parent_id = $4, note_mode = $5,
			position = $6 WHERE id = $1`, id, in.Title, in.Description, in.ParentID, in.NoteMode, position); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE actors SET display_name = $2, summary_html = $3, updated_at = now() WHERE id = $1`,
			c.ActorID, in.Title, escapeParagraphs(in.Description)); err != nil {
			return err
		}
		if !sameParent(c.ParentID, in.ParentID) {
			if err := f.settleCategoryOutOfSight(ctx, tx, id); err != nil {
				return err
			}
		}
		if c.Title != in.Title || c.Description != in.Description {
			if _, err := f.recordActivity(ctx, tx, NewActivity{Verb: VerbUpdate, ActorID: c.ActorID, TargetActorID: &c.ActorID, CategoryID: &c.ID}); err != nil {
				return err
			}
		}
		return f.logModeration(ctx, tx, by, ModerationEntry{Action: "update_category", CategoryID: &id})
	})
	if err != nil {
		return Category{}, fmt.Errorf("update category %d: %w", id, err)
	}
	f.perms.invalidate()
	return f.CategoryByID(ctx, id)
}

func sameParent(a, b *int64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// ReorderCategory moves a local category one place up (delta < 0) or down (delta > 0) among its
// siblings. Admins only. Positions are renumbered 1..n on the way, so ties from older data sort out.
func (f *Forum) ReorderCategory(ctx context.Context, by Viewer, id int64, delta int) error {
	if !by.IsAdmin() {
		return fmt.Errorf("reorder category: %w", ErrForbidden)
	}
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		c, err := categoryForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if !c.Local() {
			return fmt.Errorf("category %d is remote: %w", id, ErrForbidden)
		}
		rows, err := tx.Query(ctx, `SELECT id FROM categories WHERE domain IS NULL AND parent_id IS NOT DISTINCT FROM $1
			ORDER BY position, id FOR UPDATE`, c.ParentID)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		i := slices.Index(ids, id)
		j := i + delta
		if delta > 0 {
			j = i + 1
		} else if delta < 0 {
			j = i - 1
		}
		if i < 0 || j < 0 || j >= len(ids) || j == i {
			return nil // already first or last
		}
		ids[i], ids[j] = ids[j], ids[i]
		if _, err = tx.Exec(ctx, `UPDATE categories c SET position = o.n FROM unnest($1::bigint[]) WITH ORDINALITY AS o(id, n)
			WHERE c.id = o.id`, ids); err != nil {
			return err
		}
		direction := "down"
		if j < i {
			direction = "up"
		}
		if err := f.logModeration(ctx, tx, by, ModerationEntry{Action: "reorder_category", CategoryID: &id,
			Details: modDetails(map[string]any{"direction": direction})}); err != nil {
			return err
		}
		// Positions are not a column migration 0020's trigger watches; other processes cache them
		// (category_cache.go), so the transaction notifies them itself, at commit.
		_, err = tx.Exec(ctx, `SELECT pg_notify('`+permissionsChannel+`', '')`)
		return err
	})
	if err != nil {
		return fmt.Errorf("reorder category %d: %w", id, err)
	}
	f.perms.invalidate() // the cached definitions (category_cache.go) hold positions
	return nil
}
