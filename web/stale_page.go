package web

import (
	"bytes"
	"maps"
	"net/http"
)

// Stale pages for guests while the database is away (RFC 5861's stale-if-error). While the
// forum's change listener is not subscribed nothing is served from the page caches, since a copy
// may have missed a change. But a database that restarts takes the listener with it, and then no
// page can be made either: guests and crawlers would get an error where the forum showed a page a
// moment before. So a guest's page that cannot be made now (503: the database is unreachable, or
// the request ran out of time) is answered with the last copy kept of it, marked "X-Stoa-Cache:
// stale" and never to be kept downstream, if that copy was still current when the listener was
// lost: a copy some change had made stale before (a post a moderator hid, a thread deleted) is
// never shown again, outage or not. Otherwise the page is the 503 it was.
// Members get no stale pages: theirs show their own state, and what they would do next (reply,
// like) fails anyway until the database is back.

// guestPageOrStale answers r with h, holding the answer back until it is known; a 503 is
// replaced with the last copy of the page kept in g when it was current at the listener's loss.
func (s *Server) guestPageOrStale(w http.ResponseWriter, r *http.Request, h http.HandlerFunc, g guestSlot) {
	held := &heldResponse{header: w.Header().Clone(), status: http.StatusOK}
	h(held, r)
	if held.status == http.StatusServiceUnavailable {
		if p, gen, ok := g.cache.Last(g.key); ok && s.forum.PageCurrentWhenListenerLost(gen, p.scope, p.scopeSeq) {
			s.log.WarnContext(r.Context(), "page could not be made; serving its last copy", "path", r.URL.Path)
			writeCopy(w, p, "stale")
			return
		}
	}
	held.sendTo(w)
}

// heldResponse keeps a whole response instead of sending it.
type heldResponse struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (h *heldResponse) Header() http.Header { return h.header }

func (h *heldResponse) WriteHeader(code int) {
	if !h.wrote {
		h.wrote, h.status = true, code
	}
}

func (h *heldResponse) Write(b []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	return h.body.Write(b)
}

// sendTo sends the kept response on w, with the header as the handler left it.
func (h *heldResponse) sendTo(w http.ResponseWriter) {
	dst := w.Header()
	clear(dst)
	maps.Copy(dst, h.header)
	w.WriteHeader(h.status)
	_, _ = w.Write(h.body.Bytes())
}
