package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/stoa-forum/stoa/forum"
)

const adminLogPageSize = 50

// adminLog is /admin/log: the moderation log, newest first, paged by entry id.
func (s *Server) adminLog(w http.ResponseWriter, r *http.Request) {
	v, ok := s.requireAdmin(w, r)
	if !ok {
		return
	}
	before, err := idCursor(r, "before")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	entries, err := s.forum.ModerationLog(r.Context(), v, before, adminLogPageSize+1)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	next := ""
	if len(entries) > adminLogPageSize {
		entries = entries[:adminLogPageSize]
		next = fmt.Sprintf("/admin/log?before=%d", entries[len(entries)-1].ID)
	}
	s.render(w, r, http.StatusOK, adminLogPage(s.page(r, "Moderation log"), entries, next))
}

// logTarget is what an entry is about: the account, else the domain (domain rules, lists).
func logTarget(e forum.ModerationEntry) string {
	if e.Target != "" {
		return e.Target
	}
	return e.Domain
}

// logCategoryPath is where a category in the log links: the admin's page for a local one (the log
// is about its settings), the category's page for a remote one (it has no admin page).
func logCategoryPath(c forum.LogCategory) string {
	if c.Domain == "" {
		return "/admin/categories/" + url.PathEscape(c.Slug)
	}
	return categoryPath(c.Handle())
}

// logDetails writes an entry's details (a JSON object) for people: "key: value" pairs in key order,
// strings unquoted, so that the column reads "until: permanent; report: 4" rather than raw JSON.
// Anything that is not an object shows as stored.
func logDetails(raw json.RawMessage) string {
	var fields map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &fields) != nil {
		return string(raw)
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v := string(fields[k])
		var text string
		if json.Unmarshal(fields[k], &text) == nil {
			v = text
		}
		parts = append(parts, strings.ReplaceAll(k, "_", " ")+": "+v)
	}
	return strings.Join(parts, "; ")
}
