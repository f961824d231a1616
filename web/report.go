package web

import (
	"context"
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/stoa-forum/stoa/forum"
)

// The report forms: a member reports a post (/p/{id}/report) or an account (/u/{handle}/report,
// the handle being a username or user@server) to staff, naming the rule broken and why.

type reportView struct {
	Action  string // where the form posts
	Back    string // the page the report is about
	Post    *forum.Post
	Account string // the reported account's handle
	// OtherAccount, on a post's report form, offers to report its (remote) author instead.
	OtherAccount string
	Rules        []string
	Rule         string
	Reason       string
	Form         formState
	Sent         bool
}

func (s *Server) reportPostView(ctx context.Context, v forum.Viewer, id int64) (reportView, error) {
	p, err := s.forum.PostByID(ctx, v, id)
	if err != nil {
		return reportView{}, err
	}
	if p.Redacted {
		return reportView{}, forum.ErrGone
	}
	view := reportView{Action: postPath(id) + "/report", Back: postPath(id), Post: &p}
	if !p.AuthorLocal() {
		view.OtherAccount = p.AuthorHandle()
	}
	return view, s.withRules(ctx, &view)
}

func (s *Server) reportAccountView(ctx context.Context, handle string) (reportView, error) {
	a, err := s.forum.AccountByHandle(ctx, handle)
	if err != nil {
		return reportView{}, err
	}
	view := reportView{Action: accountReportPath(a.Handle()), Account: a.Handle()}
	if a.Local() {
		view.Back = "/u/" + a.Username
	}
	return view, s.withRules(ctx, &view)
}

func (s *Server) withRules(ctx context.Context, view *reportView) error {
	settings, err := s.forum.SiteSettings(ctx)
	if err != nil {
		return err
	}
	view.Rules = settings.ReportRules
	return nil
}

// reportPostForm is GET /p/{id}/report.
func (s *Server) reportPostForm(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view, err := s.reportPostView(r.Context(), v, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view.Sent = r.URL.Query().Get("sent") == "1"
	s.render(w, r, http.StatusOK, reportPage(s.page(r, "Report a post"), view))
}

// reportPost is POST /p/{id}/report.
func (s *Server) reportPost(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	id, err := idParam(r, "id")
	if err == nil {
		err = parseForm(w, r, maxFormBytes)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view, err := s.reportPostView(r.Context(), v, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.fileReport(w, r, v, view, forum.NewReport{PostID: id}, "Report a post")
}

// reportAccountForm is GET /u/{username}/report.
func (s *Server) reportAccountForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireMember(w, r); !ok {
		return
	}
	view, err := s.reportAccountView(r.Context(), chi.URLParam(r, "username"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view.Sent = r.URL.Query().Get("sent") == "1"
	s.render(w, r, http.StatusOK, reportPage(s.page(r, "Report an account"), view))
}

// reportAccount is POST /u/{username}/report.
func (s *Server) reportAccount(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireMember(w, r)
	if !ok {
		return
	}
	if err := parseForm(w, r, maxFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	view, err := s.reportAccountView(r.Context(), chi.URLParam(r, "username"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.fileReport(w, r, v, view, forum.NewReport{Account: view.Account}, "Report an account")
}

// fileReport files what the form sent; bad input re-renders the form with what was typed.
func (s *Server) fileReport(w http.ResponseWriter, r *http.Request, v forum.Viewer, view reportView, in forum.NewReport, title string) {
	in.Rule, in.Reason = r.PostForm.Get("rule"), r.PostForm.Get("reason")
	if _, err := s.forum.FileReport(r.Context(), v, in); err != nil {
		st, status, ok := formError(err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		view.Rule, view.Reason, view.Form = in.Rule, in.Reason, st
		s.render(w, r, status, reportPage(s.page(r, title), view))
		return
	}
	seeOther(w, r, view.Action+"?sent=1")
}

// accountReportPath is the report form of an account, by handle.
func accountReportPath(handle string) string { return "/u/" + url.PathEscape(handle) + "/report" }
