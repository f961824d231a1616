package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPagesAreSentWithTheirLength: a rendered page and the API's thread, and each again from the
// guests' cache, go out with a Content-Length and not in chunks (render.go says why).
func TestPagesAreSentWithTheirLength(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	defer fx.listen(t)()
	th, _ := fx.thread(t, fx.alice, "A long page", strings.Repeat("Words enough to pass the chunking buffer. ", 100))
	srv := httptest.NewServer(fx.h)
	defer srv.Close()
	for _, c := range []struct{ path, want string }{
		{"/t/" + itoa(th.ID), "miss"}, {"/t/" + itoa(th.ID), "hit"},
		{"/api/v1/threads/" + itoa(th.ID), "miss"}, {"/api/v1/threads/" + itoa(th.ID), "hit"},
	} {
		path, want := c.path, c.want
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Header.Get(cacheHeader); got != want {
			t.Fatalf("%s: %s is %q, want %s", path, cacheHeader, got, want)
		}
		if len(body) < 4096 || resp.ContentLength != int64(len(body)) || len(resp.TransferEncoding) > 0 {
			t.Errorf("%s (%s): Content-Length %d, Transfer-Encoding %v, for a body of %d bytes", path, want, resp.ContentLength, resp.TransferEncoding, len(body))
		}
	}
}
