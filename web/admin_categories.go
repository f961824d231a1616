package web

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/stoa-forum/stoa/forum"
)

// The admin's category pages: list and reorder, create, edit, and the permission grid.

func (s *Server) adminCategories(w http.ResponseWriter, r *http.Request) {
	s.showAdminCategories(w, r, http.StatusOK, categoryForm{})
}

func (s *Server) showAdminCategories(w http.ResponseWriter, r *http.Request, status int, form categoryForm) {
	if _, ok := s.requireAdmin(w, r); !ok {
		return
	}
	cats, err := s.forum.LocalCategories(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, adminCategoriesPage(s.page(r, "Categories"), cats, form))
}

// readCategoryForm reads the fields shared by the create and edit forms.
func readCategoryForm(r *http.Request) (categoryForm, *int64, error) {
	form := categoryForm{Slug: r.PostFormValue("slug"), Title: r.PostFormValue("title"),
		Description: r.PostFormValue("description"), ParentID: r.PostFormValue("parent"), NoteMode: r.PostFormValue("note_mode") != ""}
	if form.ParentID == "" {
		return form, nil, nil
	}
	id, err := strconv.ParseInt(form.ParentID, 10, 64)
	if err != nil {
		return form, nil, forum.Invalid("parent", "does not exist")
	}
	return form, &id, nil
}

func (s *Server) adminCreateCategory(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireAdmin(w, r); !ok {
		return
	}
	if err := parseForm(w, r, maxPostFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	form, parent, err := readCategoryForm(r)
	if err == nil {
		_, err = s.forum.CreateCategory(r.Context(), viewerOf(r), forum.NewCategory{Slug: form.Slug, Title: form.Title,
			Description: form.Description, ParentID: parent, NoteMode: form.NoteMode})
	}
	if problems, ok := refused(err); ok {
		form.Errors = problems
		s.showAdminCategories(w, r, http.StatusUnprocessableEntity, form)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, "/admin/categories/"+forum.NormalizeHandle(form.Slug))
}

func (s *Server) adminCategory(w http.ResponseWriter, r *http.Request) {
	s.showAdminCategory(w, r, http.StatusOK, nil, nil)
}

// showAdminCategory renders the edit page; form is nil to show the stored values, gridErrors is
// set when a grid was refused.
func (s *Server) showAdminCategory(w http.ResponseWriter, r *http.Request, status int, form *categoryForm, gridErrors []forum.FieldProblem) {
	if _, ok := s.requireAdmin(w, r); !ok {
		return
	}
	ctx, v := r.Context(), viewerOf(r)
	c, err := s.forum.CategoryBySlug(ctx, chi.URLParam(r, "slug"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cats, err := s.forum.LocalCategories(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	grid, err := s.forum.PermissionGrid(ctx, v, c.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if form == nil {
		form = &categoryForm{Slug: c.Slug, Title: c.Title, Description: c.Description, NoteMode: c.NoteMode}
		if c.ParentID != nil {
			form.ParentID = itoa(*c.ParentID)
		}
	}
	form.Slug = c.Slug
	s.render(w, r, status, adminCategoryPage(s.page(r, c.Title), c, cats, *form, grid, gridErrors))
}

func (s *Server) adminUpdateCategory(w http.ResponseWriter, r *http.Request) {
	c, ok := s.adminCategoryOfURL(w, r)
	if !ok {
		return
	}
	form, parent, err := readCategoryForm(r)
	if err == nil {
		_, err = s.forum.UpdateCategory(r.Context(), viewerOf(r), c.ID, forum.CategoryEdit{Title: form.Title,
			Description: form.Description, ParentID: parent, NoteMode: form.NoteMode})
	}
	if problems, ok := refused(err); ok {
		form.Errors = problems
		s.showAdminCategory(w, r, http.StatusUnprocessableEntity, &form, nil)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, "/admin/categories/"+c.Slug)
}

// adminSetPermissions reads the grid's checkboxes: a right is granted when its box was sent.
func (s *Server) adminSetPermissions(w http.ResponseWriter, r *http.Request) {
	c, ok := s.adminCategoryOfURL(w, r)
	if !ok {
		return
	}
	var grid []forum.RolePermission
	for _, role := range forum.GridRoles {
		has := func(right string) bool { return r.PostFormValue(right+"_"+string(role)) != "" }
		grid = append(grid, forum.RolePermission{Role: role, See: has("see"), Start: has("start"), Reply: has("reply")})
	}
	err := s.forum.SetPermissionGrid(r.Context(), viewerOf(r), c.ID, grid)
	if problems, ok := refused(err); ok {
		s.showAdminCategory(w, r, http.StatusUnprocessableEntity, nil, problems)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, "/admin/categories/"+c.Slug)
}

func (s *Server) adminMoveCategory(w http.ResponseWriter, r *http.Request) {
	c, ok := s.adminCategoryOfURL(w, r)
	if !ok {
		return
	}
	delta := 1
	if r.PostFormValue("direction") == "up" {
		delta = -1
	}
	if err := s.forum.ReorderCategory(r.Context(), viewerOf(r), c.ID, delta); err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, "/admin/categories")
}

// adminCategoryOfURL checks the admin, reads the form and loads the category of the URL.
func (s *Server) adminCategoryOfURL(w http.ResponseWriter, r *http.Request) (forum.Category, bool) {
	if _, ok := s.requireAdmin(w, r); !ok {
		return forum.Category{}, false
	}
	err := parseForm(w, r, maxPostFormBytes)
	var c forum.Category
	if err == nil {
		c, err = s.forum.CategoryBySlug(r.Context(), chi.URLParam(r, "slug"))
	}
	if err != nil {
		s.fail(w, r, err)
		return forum.Category{}, false
	}
	return c, true
}

// parentOf finds a sub-category's parent among the categories.
func parentOf(c forum.Category, cats []forum.Category) (forum.Category, bool) {
	if c.ParentID == nil {
		return forum.Category{}, false
	}
	for _, p := range cats {
		if p.ID == *c.ParentID {
			return p, true
		}
	}
	return forum.Category{}, false
}
