package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/httperr"
)

// fail is the single exit for a handler error: it logs what deserves logging and answers with the
// status internal/httperr picks, as an HTML page or, under /api/, as {"error":{"code","message"}}.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	p := httperr.Of(err)
	switch {
	case p.Status == httperr.StatusClientClosed:
		return
	case p.Status >= 500:
		s.log.ErrorContext(r.Context(), "request failed", "err", err, "path", r.URL.Path)
	default:
		s.log.DebugContext(r.Context(), "request refused", "err", err, "status", p.Status)
	}
	if isAPI(r) {
		writeJSONError(w, p)
		return
	}
	var fields []forum.FieldProblem
	var ve *forum.ValidationError
	if errors.As(err, &ve) {
		fields = ve.Problems
	}
	w.Header().Set("Cache-Control", "no-store")
	p.SetHeaders(w.Header())
	s.render(w, r, p.Status, errorPage(s.page(r, fmt.Sprintf("%d", p.Status)), p, fields, keptFrom(w, r)))
}

// keptFrom is the title and body a failed form post carried, read now if the handler never got to
// it (the session's lookup failed first, with the database away). Other fields, passwords among
// them, are never given back.
func keptFrom(w http.ResponseWriter, r *http.Request) keptText {
	if r.Method != http.MethodPost {
		return keptText{}
	}
	if r.PostForm == nil {
		if err := parseForm(w, r, maxPostFormBytes); err != nil {
			return keptText{}
		}
	}
	return keptText{Title: r.PostForm.Get("title"), Body: r.PostForm.Get("body")}
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

func writeJSONError(w http.ResponseWriter, p httperr.Problem) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	p.SetHeaders(w.Header())
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": p.Code, "message": p.Message}})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, fmt.Errorf("no route for %s: %w", r.URL.Path, forum.ErrNotFound))
}

// methodNotAllowed answers 405 with the Allow header HTTP requires of it (RFC 9110, 15.5.6), so a
// client can tell what the path takes.
func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	p := httperr.Problem{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "method not allowed"}
	if allow := s.allowedMethods(r); len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
	}
	if isAPI(r) {
		writeJSONError(w, p)
		return
	}
	s.render(w, r, p.Status, errorPage(s.page(r, "405"), p, nil, keptText{}))
}

// allowedMethods are the methods the router has a route for at r's path. chi works them out while
// routing but does not hand them to a MethodNotAllowed handler of one's own, so each method is
// matched again here. HEAD goes where GET goes (headAsGet).
func (s *Server) allowedMethods(r *http.Request) []string {
	if s.router == nil {
		return nil
	}
	path := r.URL.RawPath
	if path == "" {
		path = r.URL.Path
	}
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions} {
		if s.router.Match(chi.NewRouteContext(), m, path) {
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
	}
	return allow
}
