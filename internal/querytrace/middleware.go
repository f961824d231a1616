package querytrace

import (
	"fmt"
	"net/http"
)

// Middleware gives each request Stats and reports them in a Server-Timing header, written when the
// response's header is: queries a handler runs after it starts writing its body are not counted
// (pages run theirs before rendering).
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, s := NewContext(r.Context(), false)
		next.ServeHTTP(&timingWriter{ResponseWriter: w, stats: s}, r.WithContext(ctx))
	})
}

type timingWriter struct {
	http.ResponseWriter
	stats   *Stats
	written bool
}

func (w *timingWriter) stamp() {
	if w.written {
		return
	}
	w.written = true
	n, d := w.stats.Totals()
	w.Header().Add("Server-Timing", fmt.Sprintf(`db;dur=%.3f;desc="%d queries"`, float64(d.Microseconds())/1000, n))
}

func (w *timingWriter) WriteHeader(code int) {
	w.stamp()
	w.ResponseWriter.WriteHeader(code)
}

func (w *timingWriter) Write(b []byte) (int, error) {
	w.stamp()
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *timingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ParseServerTiming reads what Middleware wrote: the number of queries and their time in
// milliseconds. ok is false when the header holds no db metric.
func ParseServerTiming(h string) (queries int, ms float64, ok bool) {
	_, err := fmt.Sscanf(h, `db;dur=%f;desc="%d queries"`, &ms, &queries)
	return queries, ms, err == nil
}
