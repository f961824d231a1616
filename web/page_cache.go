package web

import (
	"bytes"
	"net/http"
	"slices"
	"sync/atomic"

	"github.com/stoa-forum/stoa/internal/gencache"
)

// The guest page cache: what a thread list, a thread page or the thread API shows a guest is the
// same for every guest, so a copy made for one is served to the next until anything it shows
// changes. Guests are most of a forum's readers (and all of its crawlers); a copy costs a map
// lookup and a write instead of a session-less page's queries and rendering.
//
// When is a copy stale? forum.PageGeneration moves on every committed change to what these pages
// show, made by any process (forum/page_changes.go); this server also moves its own counter after
// every request that may write (any method but GET, HEAD and OPTIONS), before its response is
// complete. A copy is stored only if neither moved while it was made, and served only while
// neither has moved since. While the forum's change listener is not subscribed nothing is cached.
//
// Only pages whose handler is wrapped in guestCached are kept, only for requests with no viewer,
// only 200s, and only up to guestPageMaxBytes each and maxBytes in all (Options.GuestCacheBytes),
// dropped at random when full (internal/gencache, which the forum's shared reads use too).
type guestCache struct {
	pages *gencache.Cache[string, *guestPage]
	// writes counts the requests that may have written (see above).
	writes atomic.Uint64
}

type guestPage struct {
	header http.Header // what the handler set, beyond what every response gets
	body   []byte
	// onHit re-runs, for each request served from the copy, what the handler does beside
	// answering (a mirrored thread asks its home for news when viewed: askSync).
	onHit []func(*http.Request)
}

const (
	guestPageMaxBytes  = 1 << 20
	guestCacheMaxPages = 16384
	// cacheHeader tells the client (and the tests, and the read benchmark) whether the page came
	// from the cache.
	cacheHeader = "X-Stoa-Cache"
)

func newGuestCache(maxBytes int) *guestCache {
	return &guestCache{pages: gencache.New[string, *guestPage](maxBytes, guestCacheMaxPages)}
}

// pageGeneration reads the current generation: the forum's generation of what pages show plus
// this server's count of writing requests. Both only grow, so their sum moves when either does
// and is equal only when both are. live is false when nothing may be cached.
func (s *Server) pageGeneration() (uint64, bool) {
	gen, live := s.forum.PageGeneration()
	return gen + s.guests.writes.Load(), live
}

// guestCached serves h's answers to guests from the cache, and fills it.
func (s *Server) guestCached(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || viewerOf(r).SignedIn() || !s.guests.pages.Enabled() {
			h(w, r)
			return
		}
		gen, live := s.pageGeneration()
		if !live {
			h(w, r)
			return
		}
		key := r.URL.RequestURI()
		if p, ok := s.guests.pages.Get(key, gen); ok {
			for _, fn := range p.onHit {
				fn(r)
			}
			for k, v := range p.header {
				w.Header()[k] = slices.Clone(v) // later middleware may append to it
			}
			w.Header().Set(cacheHeader, "hit")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(p.body)
			return
		}
		w.Header().Set(cacheHeader, "miss")
		before := w.Header().Clone()
		rec := &pageRecorder{ResponseWriter: w, status: http.StatusOK}
		h(rec, r)
		header := rec.header(before)
		if rec.status != http.StatusOK || rec.tooLarge || header == nil {
			return
		}
		if now, live := s.pageGeneration(); live && now == gen {
			s.guests.pages.Put(key, gen, &guestPage{header: header, body: rec.body.Bytes(), onHit: rec.onHit}, rec.body.Len())
		}
	}
}

// countWrites moves the cache's own counter after every request that may write, before its
// response is complete: a page asked for after it is never an older copy, even when what it wrote
// was not made by a forum transaction (page_changes.go).
func (s *Server) countWrites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
		default:
			next.ServeHTTP(&writeCounter{ResponseWriter: w, count: s.guests.writes.Add}, r)
			s.guests.writes.Add(1)
		}
	})
}

// writeCounter counts a write when the response starts, as well as after it (countWrites): a
// client that has read the status may ask for a page before the handler has returned.
type writeCounter struct {
	http.ResponseWriter
	count   func(uint64) uint64
	counted bool
}

func (c *writeCounter) WriteHeader(code int) {
	if !c.counted {
		c.counted = true
		c.count(1)
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *writeCounter) Write(b []byte) (int, error) {
	if !c.counted {
		c.WriteHeader(http.StatusOK)
	}
	return c.ResponseWriter.Write(b)
}

func (c *writeCounter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// pageRecorder passes a response through and keeps a copy of its status and body.
type pageRecorder struct {
	http.ResponseWriter
	status   int
	wrote    bool
	body     bytes.Buffer
	tooLarge bool
	onHit    []func(*http.Request)
}

func (p *pageRecorder) WriteHeader(code int) {
	if !p.wrote {
		p.wrote, p.status = true, code
	}
	p.ResponseWriter.WriteHeader(code)
}

func (p *pageRecorder) Write(b []byte) (int, error) {
	if !p.wrote {
		p.WriteHeader(http.StatusOK)
	}
	if !p.tooLarge {
		if p.body.Len()+len(b) > guestPageMaxBytes {
			p.tooLarge = true
			p.body = bytes.Buffer{}
		} else {
			p.body.Write(b)
		}
	}
	return p.ResponseWriter.Write(b)
}

func (p *pageRecorder) Unwrap() http.ResponseWriter { return p.ResponseWriter }

// header is what the handler added to the response's header beyond before; nil when the response
// may not be kept (it sets a cookie).
func (p *pageRecorder) header(before http.Header) http.Header {
	h := http.Header{}
	for k, v := range p.Header() {
		switch k {
		case "Set-Cookie":
			return nil
		case "Server-Timing", "Date", cacheHeader:
			continue
		}
		if !slices.Equal(before[k], v) {
			h[k] = slices.Clone(v)
		}
	}
	return h
}

// onEveryView runs fn for this request and, when w is filling the guest cache, again for every
// request served from the copy: work a page view does besides answering.
func onEveryView(w http.ResponseWriter, r *http.Request, fn func(*http.Request)) {
	fn(r)
	if rec, ok := w.(*pageRecorder); ok {
		rec.onHit = append(rec.onHit, fn)
	}
}
