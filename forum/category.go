package forum

import (
	"context"
	"fmt"
	"strings"
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
	c.description, c.position, c.note_mode, c.posting_restricted_to_mods, c.thread_count, c.post_count,
	c.last_post_at, c.created_at`

// CreateCategory makes a local category and its Group actor. Only admins may.
func (f *Forum) CreateCategory(ctx context.Context, by Viewer, in NewCategory) (Category, error) {
	if !by.IsAdmin() {
		return Category{}, fmt.Errorf("create category: %w", ErrForbidden)
	}
	in.Slug = NormalizeHandle(in.Slug)
	in.Title = strings.TrimSpace(in.Title)
	v := &ValidationError{}
	if err := ValidateHandle("slug", in.Slug); err != nil {
		v.Problems = append(v.Problems, err.(*ValidationError).Problems...)
	}
	if in.Title == "" || len([]rune(in.Title)) > 100 {
		v.Add("title", "must be 1 to 100 characters")
	}
	if len(in.Description) > 2000 {
		v.Add("description", "must be at most 2000 characters")
	}
	if err := v.Err(); err != nil {
		return Category{}, err
	}
	var id int64
	err := f.inTx(ctx, func(tx pgx.Tx) error {
		if in.ParentID != nil {
			var parentOfParent *int64
			var domain *string
			err := tx.QueryRow(ctx, `SELECT parent_id, domain FROM categories WHERE id = $1`, *in.ParentID).Scan(&parentOfParent, &domain)
			if err != nil {
				return Invalid("parent", "does not exist")
			}
			// One level of sub-categories keeps navigation and permissions simple.
			if parentOfParent != nil || domain != nil {
				return Invalid("parent", "must be a local top-level category")
			}
		}
		actorID, err := f.insertLocalActor(ctx, tx, "slug", ActorGroup, in.Slug, in.Title)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE actors SET summary_html = $2 WHERE id = $1`, actorID, escapeParagraphs(in.Description)); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO categories (actor_id, parent_id, slug, title, description, position, note_mode)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			actorID, in.ParentID, in.Slug, in.Title, in.Description, in.Position, in.NoteMode).Scan(&id)
	})
	if err != nil {
		return Category{}, fmt.Errorf("create category %q: %w", in.Slug, err)
	}
	return f.CategoryByID(ctx, id)
}

func (f *Forum) queryCategories(ctx context.Context, where string, args ...any) ([]Category, error) {
	rows, err := f.db.Query(ctx, "SELECT "+categoryColumns+" FROM categories c WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByName[Category])
}

// CategoryByID loads a category.
func (f *Forum) CategoryByID(ctx context.Context, id int64) (Category, error) {
	cs, err := f.queryCategories(ctx, "c.id = $1", id)
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
