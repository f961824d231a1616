package web

import (
	"bytes"
	"net/http"
	"strconv"
	"sync"

	"github.com/a-h/templ"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/httperr"
)

// renderBuffers are the buffers pages are rendered into, reused: a list page is tens of
// kilobytes, and growing a fresh buffer to that size for every request was a quarter of the bytes
// a page allocated.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer is the largest buffer put back: one huge page should not pin its memory.
const maxPooledBuffer = 1 << 20

// byteBuffers are the buffers hand-written output (a thread's posts, API JSON) is appended to,
// reused: a page of posts is tens of kilobytes, and growing a fresh buffer to that for every
// request was garbage.
var byteBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

func getBytes() *[]byte { return byteBuffers.Get().(*[]byte) }

// putBytes returns a buffer from getBytes, unless it grew past maxPooledBuffer.
func putBytes(bp *[]byte) {
	if cap(*bp) <= maxPooledBuffer {
		*bp = (*bp)[:0]
		byteBuffers.Put(bp)
	}
}

// render writes a component with a status. It renders into a buffer first so a failure half-way
// through becomes a clean 500 instead of a truncated page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			buf.Reset()
			renderBuffers.Put(buf)
		}
	}()
	if err := c.Render(r.Context(), buf); err != nil {
		if r.Context().Err() == nil {
			s.log.ErrorContext(r.Context(), "render failed", "err", err, "path", r.URL.Path)
			http.Error(w, "internal server error", http.StatusInternalServerError)
		}
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// The page is whole before it is sent, so its length is known: without it net/http frames a page
	// over 2 KB in chunks (chunk headers, a closing chunk: more writes to the socket).
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	// A form refused for its rate (registration, reports, lookups...) says when to try again, as
	// the API's 429 does; a handler that knows better (sign-in, 15 minutes) has set it already.
	if status == http.StatusTooManyRequests && h.Get("Retry-After") == "" {
		h.Set("Retry-After", strconv.Itoa(httperr.RateLimitRetryAfterSeconds))
	}
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// page is the shared data every page's layout needs.
type page struct {
	SiteName string
	Title    string
	Path     string
	Viewer   forum.Viewer
	// Feed, when set, is the Atom feed of what the page shows (announced in <head>).
	Feed string
	// LogoURL is the site's logo, or "".
	LogoURL string
	// SiteCSS is the versioned URL of the admins' custom stylesheet, or "" when there is none.
	SiteCSS string
	// RegistrationOpen decides whether the header offers "Register".
	RegistrationOpen bool
	// Counts are the signed-in member's unread notifications and, for staff, open reports, read
	// with their session (zero without one).
	Counts forum.HeaderCounts
}

func (s *Server) page(r *http.Request, title string) page {
	p := page{SiteName: "Stoa", Title: title, Path: r.URL.RequestURI(), Viewer: viewerOf(r), RegistrationOpen: true}
	if sess, ok := sessionOf(r); ok {
		p.Counts = sess.Counts
	}
	settings, err := s.forum.SiteSettings(r.Context())
	if err != nil {
		// The page can still be shown with defaults; the failure is worth knowing about.
		s.log.WarnContext(r.Context(), "site settings unavailable", "err", err)
		return p
	}
	p.SiteName, p.LogoURL, p.RegistrationOpen = settings.SiteName, settings.LogoURL, settings.RegistrationOpen
	if settings.CustomCSS != "" {
		p.SiteCSS = "/site.css?v=" + strconv.FormatInt(settings.UpdatedAt.Unix(), 10)
	}
	return p
}
