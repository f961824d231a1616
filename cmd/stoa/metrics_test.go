package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPprofIsServedOnTheMetricsListenerOnlyWhenAskedFor(t *testing.T) {
	t.Parallel()
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "# metrics\n") })
	get := func(h http.Handler, path string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Body.String()
	}

	off := metricsMux(metrics, false)
	if _, body := get(off, "/debug/pprof/"); strings.Contains(body, "goroutine") || body != "# metrics\n" {
		t.Errorf("pprof off: /debug/pprof/ answered %q, want only the metrics", body)
	}

	on := metricsMux(metrics, true)
	if code, body := get(on, "/debug/pprof/"); code != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("pprof on: /debug/pprof/ = %d %q", code, body)
	}
	if code, body := get(on, "/debug/pprof/goroutine?debug=1"); code != http.StatusOK || !strings.Contains(body, "goroutine profile") {
		t.Errorf("pprof on: goroutine profile = %d %.80q", code, body)
	}
	if _, body := get(on, "/metrics"); body != "# metrics\n" {
		t.Errorf("pprof on: /metrics = %q, want the metrics", body)
	}
}
