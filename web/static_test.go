package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// The placeholder picture federation names as the icon of actors without one is served.
func TestThePlaceholderAvatarIsServed(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	staticFiles().ServeHTTP(rec, httptest.NewRequest("GET", "/static/avatar.png", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/png" || rec.Body.Len() < 100 {
		t.Fatalf("GET /static/avatar.png: %d %q, %d bytes", rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
	}
}
