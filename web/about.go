package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
)

// about renders the site description and the rules page.
func (s *Server) about(w http.ResponseWriter, r *http.Request) {
	settings, err := s.forum.SiteSettings(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, aboutPage(s.page(r, "About"), settings))
}

// siteCSS serves the admins' custom stylesheet. It is a file of its own, never inlined in a page,
// so the Content-Security-Policy can keep forbidding inline styles; the strict content type and
// nosniff mean it can only ever be read as CSS. Pages link it with ?v=<last change>, so it can be
// cached long and still change at once.
func (s *Server) siteCSS(w http.ResponseWriter, r *http.Request) {
	settings, err := s.forum.SiteSettings(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sum := sha256.Sum256([]byte(settings.CustomCSS))
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	h := w.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", etag)
	if r.URL.Query().Get("v") != "" {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300")
	}
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write([]byte(settings.CustomCSS))
}
