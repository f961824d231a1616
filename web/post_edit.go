package web

import (
	"fmt"
	"net/http"

	"github.com/stoa-forum/stoa/forum"
)

// editForm is the state of the edit form for a post.
func editForm(post forum.Post, t forum.ThreadView) composerForm {
	return composerForm{Action: postPath(post.ID) + "/edit", Submit: "Save", WithTitle: post.Position == 1,
		Title: t.Title, Body: post.Source}
}

// editPostForm shows a post's source in the form, to its author or staff.
func (s *Server) editPostForm(w http.ResponseWriter, r *http.Request) {
	post, t, ok := s.editablePost(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, editPostPage(s.page(r, "Edit post"), t, post, editForm(post, t)))
}

// savePost saves the edit, or shows the form again (preview, or what to fix).
func (s *Server) savePost(w http.ResponseWriter, r *http.Request) {
	post, t, ok := s.editablePost(w, r)
	if !ok {
		return
	}
	if err := parseForm(w, r, maxPostFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	form := editForm(post, t)
	form.Body = r.PostFormValue("body")
	in := forum.PostEdit{Body: form.Body}
	if form.WithTitle {
		form.Title = r.PostFormValue("title")
		in.Title = &form.Title
	}
	p := s.page(r, "Edit post")
	if wantsPreview(r) {
		form.Preview = s.forum.Preview(form.Body)
		s.render(w, r, http.StatusOK, editPostPage(p, t, post, form))
		return
	}
	saved, err := s.forum.EditPost(r.Context(), viewerOf(r), post.ID, in)
	if problems, ok := refused(err); ok {
		form.Errors = problems
		s.render(w, r, http.StatusUnprocessableEntity, editPostPage(p, t, post, form))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, postAnchorPath(t.ID, s.forum.PageOf(saved.Position), saved.ID))
}

// editablePost loads the post of the URL and its thread, and checks the viewer may edit it (the
// same rules forum applies when saving, checked first so the form is not offered in vain).
func (s *Server) editablePost(w http.ResponseWriter, r *http.Request) (forum.Post, forum.ThreadView, bool) {
	fail := func(err error) (forum.Post, forum.ThreadView, bool) {
		s.fail(w, r, err)
		return forum.Post{}, forum.ThreadView{}, false
	}
	if _, ok := s.requireMember(w, r); !ok {
		return forum.Post{}, forum.ThreadView{}, false
	}
	id, err := idParam(r, "id")
	if err != nil {
		return fail(err)
	}
	v := viewerOf(r)
	post, err := s.forum.PostByID(r.Context(), v, id)
	if err != nil {
		return fail(err)
	}
	t, err := s.forum.ThreadByID(r.Context(), v, post.ThreadID)
	if err != nil {
		return fail(err)
	}
	switch {
	case post.Deleted():
		return fail(fmt.Errorf("post %d: %w", id, forum.ErrGone))
	case post.APID != "" || (post.AuthorID != v.ActorID && !t.Can.Moderate):
		return fail(fmt.Errorf("edit post %d: %w", id, forum.ErrForbidden))
	case t.Locked() && !t.Can.Moderate:
		return fail(fmt.Errorf("edit post %d: %w", id, forum.ErrLocked))
	}
	return post, t, true
}

// postHistory shows a post's earlier versions.
func (s *Server) postHistory(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	post, history, err := s.forum.PostHistory(r.Context(), viewerOf(r), id)
	// Only a deleted post is gone. One the viewer may not read for another reason (hidden by
	// staff, withheld) is answered as the thread page answers it: its place, with a placeholder
	// and no versions; staff and the author are not redacted and see it all.
	if err == nil && post.Redacted && post.Deleted() {
		err = fmt.Errorf("history of post %d: %w", id, forum.ErrGone)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, historyPage(s.page(r, "Post history"), post, history))
}
