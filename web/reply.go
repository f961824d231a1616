package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/stoa-forum/stoa/forum"
)

// replyForm shows the reply form, with a quote (?quote=postID) or addressed to a post (?to=postID).
func (s *Server) replyForm(w http.ResponseWriter, r *http.Request) {
	t, ok := s.repliableThread(w, r)
	if !ok {
		return
	}
	form := composerForm{Action: threadPath(t.ID) + "/reply", Submit: "Post reply"}
	q := r.URL.Query()
	if quote := q.Get("quote"); quote != "" {
		id, err := strconv.ParseInt(quote, 10, 64)
		if err != nil {
			s.fail(w, r, fmt.Errorf("quote %q: %w", quote, forum.ErrNotFound))
			return
		}
		if form.Body, err = s.forum.QuoteMarkdown(r.Context(), viewerOf(r), id); err != nil {
			s.fail(w, r, err)
			return
		}
		form.InReplyTo = quote
	}
	if to := q.Get("to"); to != "" {
		if _, err := strconv.ParseInt(to, 10, 64); err != nil {
			s.fail(w, r, fmt.Errorf("reply to %q: %w", to, forum.ErrNotFound))
			return
		}
		form.InReplyTo = to
	}
	s.render(w, r, http.StatusOK, replyPage(s.page(r, "Reply to "+t.Title), t, form))
}

// createReply posts the reply and goes to it, or shows the form again (preview, or what to fix).
func (s *Server) createReply(w http.ResponseWriter, r *http.Request) {
	t, ok := s.repliableThread(w, r)
	if !ok {
		return
	}
	if err := parseForm(w, r, maxPostFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	form := composerForm{Action: threadPath(t.ID) + "/reply", Submit: "Post reply",
		Body: r.PostFormValue("body"), InReplyTo: r.PostFormValue("in_reply_to")}
	p := s.page(r, "Reply to "+t.Title)
	if wantsPreview(r) {
		form.Preview = s.forum.Preview(form.Body)
		s.render(w, r, http.StatusOK, replyPage(p, t, form))
		return
	}
	in := forum.NewPost{ThreadID: t.ID, Body: form.Body}
	if form.InReplyTo != "" {
		id, err := strconv.ParseInt(form.InReplyTo, 10, 64)
		if err != nil {
			form.Errors = []forum.FieldProblem{{Field: "in_reply_to", Message: "must be a post of this thread"}}
			s.render(w, r, http.StatusUnprocessableEntity, replyPage(p, t, form))
			return
		}
		in.InReplyToID = &id
	}
	post, err := s.forum.CreatePost(r.Context(), viewerOf(r), in)
	if problems, status, ok := composerRefused(w, err); ok {
		form.Errors = problems
		for i, pr := range problems {
			if pr.Field == "in_reply_to" {
				// The post answered was deleted or hidden meanwhile: the form comes back
				// without it, so that sending it again posts the reply to the thread. It kept
				// it, and was refused however often it was sent.
				form.InReplyTo = ""
				form.Errors[i].Message = "is no longer shown; send your reply again to post it to the thread"
			}
		}
		s.render(w, r, status, replyPage(p, t, form))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, postAnchorPath(t.ID, s.forum.PageOf(post.Position), post.ID))
}

// repliableThread loads the thread of the URL and checks that the viewer may reply now.
func (s *Server) repliableThread(w http.ResponseWriter, r *http.Request) (forum.ThreadView, bool) {
	if _, ok := s.requireMember(w, r); !ok {
		return forum.ThreadView{}, false
	}
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return forum.ThreadView{}, false
	}
	t, err := s.forum.ThreadByID(r.Context(), viewerOf(r), id)
	if err == nil && !t.CanReply() {
		switch {
		case t.DeletedAt != nil:
			err = fmt.Errorf("thread %d: %w", id, forum.ErrGone)
		case !t.Can.Reply:
			err = fmt.Errorf("reply in thread %d: %w", id, forum.ErrForbidden)
		default:
			err = fmt.Errorf("thread %d: %w", id, forum.ErrLocked)
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return forum.ThreadView{}, false
	}
	return t, true
}
