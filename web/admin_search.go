package web

import (
	"net/http"

	"github.com/stoa-forum/stoa/forum"
)

// adminSearch is /admin/search: the synonym list.
func (s *Server) adminSearch(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	groups, err := s.forum.SearchSynonyms(r.Context(), v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msg := ""
	switch r.URL.Query().Get("saved") {
	case "1":
		msg = "Saved."
	case "reindex":
		msg = "Saved. Posts already written are being re-indexed in the background; searches find them by the new synonyms as that goes."
	}
	s.render(w, r, http.StatusOK, adminSearchPage(s.page(r, "Search"), forum.FormatSynonyms(groups), formState{}, msg))
}

func (s *Server) saveAdminSearch(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	if err := parseForm(w, r, maxFormBytes); err != nil {
		s.fail(w, r, err)
		return
	}
	text := r.PostForm.Get("synonyms")
	queued, err := s.forum.SetSearchSynonyms(r.Context(), v, text)
	if err != nil {
		st, status, ok := formError(err)
		if !ok {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, status, adminSearchPage(s.page(r, "Search"), text, st, ""))
		return
	}
	to := "/admin/search?saved=1"
	if queued {
		to = "/admin/search?saved=reindex"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
