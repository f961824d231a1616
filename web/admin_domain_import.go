package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/stoa-forum/stoa/forum"
)

// /admin/domains/import: a Mastodon CSV blocklist, pasted or uploaded, is first shown as its dry
// run (each domain's action, the rule now and after, and what each change touches); the dry run
// page carries the file on to the button that imports it.

type adminImportView struct {
	CSV   string
	Plan  *forum.ImportPlan
	State formState
}

func (s *Server) adminImportForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.requireAdmin(w, r); !ok {
		return
	}
	s.render(w, r, http.StatusOK, adminImportPage(s.page(r, "Import a blocklist"), adminImportView{}))
}

// adminImport runs the dry run, or with confirm set the import.
func (s *Server) adminImport(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	data, err := readImportUpload(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view := adminImportView{CSV: string(data)}
	if r.PostFormValue("confirm") == "" {
		plan, err := s.forum.PlanBlocklistImport(r.Context(), v, data)
		if err == nil {
			view.Plan = &plan
		}
		s.showImport(w, r, view, err)
		return
	}
	plan, _, err := s.forum.ImportBlocklist(r.Context(), v, data)
	if err != nil {
		s.showImport(w, r, view, err)
		return
	}
	q := url.Values{"imported": {fmt.Sprint(plan.Added)}, "upgraded": {fmt.Sprint(plan.Upgraded)}}
	seeOther(w, r, "/admin/domains?"+q.Encode())
}

// showImport renders the import page, with the problem of a file that cannot be read at all.
func (s *Server) showImport(w http.ResponseWriter, r *http.Request, view adminImportView, err error) {
	status := http.StatusOK
	if err != nil {
		st, code, ok := formError(err)
		switch {
		case ok:
			view.State, status = st, code
		case errors.Is(err, forum.ErrBlocklistFormat):
			view.State, status = formState{Problems: map[string]string{"csv": err.Error()}}, http.StatusUnprocessableEntity
		default:
			s.fail(w, r, err)
			return
		}
	}
	s.render(w, r, status, adminImportPage(s.page(r, "Import a blocklist"), view))
}

// readImportUpload reads the blocklist from the uploaded file, else the pasted text.
func readImportUpload(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, 2*forum.MaxBlocklistBytes+64<<10)
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return nil, fmt.Errorf("read form: %w", err)
	}
	if err := r.ParseForm(); err != nil {
		return nil, fmt.Errorf("read form: %w", err)
	}
	if file, _, err := r.FormFile("file"); err == nil {
		defer file.Close()
		data, err := io.ReadAll(io.LimitReader(file, forum.MaxBlocklistBytes+1))
		if err != nil {
			return nil, fmt.Errorf("read upload: %w", err)
		}
		if len(data) > 0 {
			return data, nil
		}
	}
	return []byte(r.PostFormValue("csv")), nil
}
