package web

import (
	"fmt"
	"net/http"

	"github.com/stoa-forum/stoa/forum"
)

// newThreadForm shows the form to start a thread in a category.
func (s *Server) newThreadForm(w http.ResponseWriter, r *http.Request) {
	c, ok := s.startableCategory(w, r)
	if !ok {
		return
	}
	form := composerForm{Action: categoryPath(c.Handle()) + "/new", Submit: "Start thread", WithTitle: true}
	s.render(w, r, http.StatusOK, newThreadPage(s.page(r, "New thread in "+c.Title), c, form))
}

// createThread starts the thread, or shows the form again with a preview or with what to fix.
func (s *Server) createThread(w http.ResponseWriter, r *http.Request) {
	c, ok := s.startableCategory(w, r)
	if !ok {
		return
	}
	if err := parseForm(w, r, maxPostFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	form := composerForm{Action: categoryPath(c.Handle()) + "/new", Submit: "Start thread", WithTitle: true,
		Title: r.PostFormValue("title"), Body: r.PostFormValue("body")}
	p := s.page(r, "New thread in "+c.Title)
	if wantsPreview(r) {
		form.Preview = s.forum.Preview(form.Body)
		s.render(w, r, http.StatusOK, newThreadPage(p, c, form))
		return
	}
	t, _, err := s.forum.CreateThread(r.Context(), viewerOf(r), forum.NewThread{CategoryID: c.ID, Title: form.Title, Body: form.Body})
	if problems, status, ok := composerRefused(w, err); ok {
		form.Errors = problems
		s.render(w, r, status, newThreadPage(p, c, form))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, threadPath(t.ID))
}

// startableCategory loads the category of the URL and checks that the viewer may start a thread
// there, answering the request itself when not.
func (s *Server) startableCategory(w http.ResponseWriter, r *http.Request) (forum.Category, bool) {
	if _, ok := s.requireMember(w, r); !ok {
		return forum.Category{}, false
	}
	c, err := s.forum.CategoryByHandle(r.Context(), s.categoryHandleParam(r))
	if err != nil {
		s.fail(w, r, err)
		return forum.Category{}, false
	}
	perm, err := s.forum.Permissions(r.Context(), viewerOf(r), c)
	switch {
	case err != nil:
	case !perm.See:
		err = fmt.Errorf("category %s: %w", c.Slug, forum.ErrNotFound)
	case !perm.Start:
		err = fmt.Errorf("start a thread in %s: %w", c.Slug, forum.ErrForbidden)
	}
	if err != nil {
		s.fail(w, r, err)
		return forum.Category{}, false
	}
	return c, true
}
