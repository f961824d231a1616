package federation

import "net/http"

// Negotiate routes by content negotiation: GET and HEAD requests that want ActivityStreams
// (WantsActivityStreams) go to as (the Handler, which hands what it has no document for back to
// html); everything else goes to html. Every GET and HEAD answer varies by Accept, so caches keep
// the page and the document apart.
func Negotiate(as, html http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			html.ServeHTTP(w, r)
			return
		}
		addVary(w.Header(), "Accept")
		if WantsActivityStreams(r) {
			as.ServeHTTP(w, r)
			return
		}
		html.ServeHTTP(w, r)
	})
}
