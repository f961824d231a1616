package web

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
)

// avatar serves a stored avatar. Every name is random and never reused, so the response may be
// cached for a year as immutable. The headers make sure a browser only ever treats it as an
// image: the content type is the re-encoded image's own (never JSON or ActivityStreams), nosniff
// forbids guessing another, and a sandbox CSP neuters it should it ever be opened as a document.
func (s *Server) avatar(w http.ResponseWriter, r *http.Request) {
	img, err := s.forum.Avatar(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", img.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(img.Data)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Set("Last-Modified", img.CreatedAt.UTC().Format(http.TimeFormat))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(img.Data)
	}
}
