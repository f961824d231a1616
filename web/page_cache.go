package web

import (
	"bytes"
	"net/http"
	"slices"
	"strings"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/gencache"
)

// The page caches: what a thread list, a thread page, their feeds or the thread API show a guest
// is the same for every guest, so a copy made for one is served to the next until anything it
// shows changes.
// Guests are most of a forum's readers (and all of its crawlers); a copy costs a map lookup and a
// write instead of a session-less page's queries and rendering. What a member is shown is theirs
// alone, but a member reloads a list to see what is new, comes back to it from a thread, pages
// back: member_cache.go keeps their pages too, on the same rule plus their own state.
//
// When is a copy stale? forum.PageGeneration moves on every committed change to what every page
// shows, made by any process, and forum.ScopeSeq counts the changes to one thread or one category
// (forum/page_changes.go); after every request that may write (any method but GET, HEAD and
// OPTIONS), and before its response starts, this server waits until it has heard of what the
// request changed (catchUpAfterWrites). A handler says what its page shows (showScope: a thread's pages,
// a category's lists; anything, if it does not say). A copy is stored only if neither the
// generation nor its scope's count moved while it was made, and served only while neither has
// moved since: a reply drops its thread's pages and its category's lists, not every other
// thread's. While the forum's change listener is not subscribed nothing is cached, nor served
// from the caches, except to a guest whose page cannot be made then (stale_page.go).
//
// Only pages whose handler is wrapped in pageCached are kept, only 200s, and only up to
// cachedPageMaxBytes each and the configured bytes in all (Options.GuestCacheBytes and
// MemberCacheBytes), dropped at random when full (internal/gencache, which the forum's shared
// reads use too).
type pageCache struct {
	guests  *gencache.Cache[string, *cachedPage]
	members *gencache.Cache[memberPageKey, *cachedPage]
}

type cachedPage struct {
	header http.Header // what the handler set, beyond what every response gets
	body   []byte
	// onHit re-runs, for each request served from the copy, what the handler does beside
	// answering (a mirrored thread asks its home for news when viewed: askSync).
	onHit []func(*http.Request)
	// scope is what the copy shows (forum.PageScope), and scopeSeq the count of its changes
	// when it was made: a change to it, and not to everything, makes the copy stale.
	scope    forum.PageScope
	scopeSeq uint64
	// member is what a member's copy depended on besides the generation (member_cache.go).
	member memberStamp
}

const (
	cachedPageMaxBytes = 1 << 20
	cacheMaxPages      = 16384
	// cacheHeader tells the client (and the tests, and the read benchmark) whether the page came
	// from the cache.
	cacheHeader = "X-Stoa-Cache"
)

func newPageCache(guestBytes, memberBytes int) *pageCache {
	return &pageCache{guests: gencache.New[string, *cachedPage](guestBytes, cacheMaxPages),
		members: gencache.New[memberPageKey, *cachedPage](memberBytes, cacheMaxPages)}
}

// pageGeneration reads the forum's generation of what pages show; live is false when nothing may
// be cached.
func (s *Server) pageGeneration() (uint64, bool) { return s.forum.PageGeneration() }

// pageSlot is where a request's answer is kept: a guest's under its URL, a member's under theirs
// (member_cache.go).
type pageSlot interface {
	get(gen uint64) (*cachedPage, bool)
	// put keeps p, made at gen; the caller has checked that neither the generation nor the
	// slot (fresh) moved while it was made.
	put(gen uint64, p *cachedPage)
	// fresh reports whether what the slot depends on beyond the generation is still what it
	// was when the slot was opened: when it is not, nothing made now could be kept.
	fresh() bool
}

type guestSlot struct {
	cache *gencache.Cache[string, *cachedPage]
	key   string
}

func (g guestSlot) get(gen uint64) (*cachedPage, bool) { return g.cache.Get(g.key, gen) }
func (g guestSlot) put(gen uint64, p *cachedPage)      { g.cache.Put(g.key, gen, p, len(p.body)) }
func (g guestSlot) fresh() bool                        { return true }

// slotFor says where r's answer may be kept; false when it may not be.
func (s *Server) slotFor(r *http.Request) (pageSlot, bool) {
	if r.Method != http.MethodGet {
		return nil, false
	}
	if viewerOf(r).SignedIn() {
		return s.memberSlot(r)
	}
	return guestSlot{cache: s.pages.guests, key: r.URL.RequestURI()}, s.pages.guests.Enabled()
}

// pageCached serves h's answers from the page caches, and fills them.
func (s *Server) pageCached(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		slot, ok := s.slotFor(r)
		if !ok {
			h(w, r)
			return
		}
		gen, live := s.pageGeneration()
		if !live {
			if g, guest := slot.(guestSlot); guest {
				s.guestPageOrStale(w, r, h, g) // stale_page.go
				return
			}
			h(w, r)
			return
		}
		if p, ok := slot.get(gen); ok && !wantsFresh(r) && s.forum.ScopeSeq(p.scope) == p.scopeSeq {
			for _, fn := range p.onHit {
				fn(r)
			}
			writeCopy(w, p, "hit")
			return
		}
		w.Header().Set(cacheHeader, "miss")
		before := w.Header().Clone()
		// A page that does not say what it shows (showScope) may show anything.
		rec := &pageRecorder{ResponseWriter: w, status: http.StatusOK, forum: s.forum,
			scope: forum.AnyScope, scopeSeq: s.forum.ScopeSeq(forum.AnyScope)}
		rec.keepable = func() bool {
			now, live := s.pageGeneration()
			return live && now == gen && s.forum.ScopeSeq(rec.scope) == rec.scopeSeq && slot.fresh()
		}
		h(rec, r)
		header := rec.header(before)
		if rec.status != http.StatusOK || rec.notKept || header == nil {
			return
		}
		if rec.keepable() {
			slot.put(gen, &cachedPage{header: header, body: rec.body.Bytes(), onHit: rec.onHit, scope: rec.scope, scopeSeq: rec.scopeSeq})
		}
	}
}

// writeCopy answers with a kept copy; state ("hit", or "stale": stale_page.go) goes in
// X-Stoa-Cache. A stale copy is not to be kept by anyone downstream.
func writeCopy(w http.ResponseWriter, p *cachedPage, state string) {
	for k, v := range p.header {
		w.Header()[k] = slices.Clone(v) // later middleware may append to it
	}
	w.Header().Set(cacheHeader, state)
	if state == "stale" {
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(p.body)
}

// wantsFresh reports whether the client asked for an answer not taken from a cache (RFC 9111
// 5.2.1.4: a browser's reload sends Cache-Control: no-cache). It is made afresh, and kept.
func wantsFresh(r *http.Request) bool {
	for _, v := range r.Header.Values("Cache-Control") {
		for _, d := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(d), "no-cache") {
				return true
			}
		}
	}
	return false
}

// catchUpAfterWrites makes sure, after every request that may write (any method but GET, HEAD and
// OPTIONS) and before its client can see its answer, that this process has heard of everything it
// changed (forum.CatchUp): a page asked for after it is never an older copy, whatever the handler
// wrote with, and the copies of what it did not change stay kept.
func (s *Server) catchUpAfterWrites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
		default:
			c := &catchingUpWriter{ResponseWriter: w, catchUp: func() { s.forum.CatchUp(r.Context()) }}
			next.ServeHTTP(c, r)
			if !c.caughtUp {
				c.catchUp()
			}
		}
	})
}

// catchingUpWriter catches up when the response starts: a client that has read the status may ask
// for a page before the handler has returned.
type catchingUpWriter struct {
	http.ResponseWriter
	catchUp  func()
	caughtUp bool
}

func (c *catchingUpWriter) WriteHeader(code int) {
	if !c.caughtUp {
		c.caughtUp = true
		c.catchUp()
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *catchingUpWriter) Write(b []byte) (int, error) {
	if !c.caughtUp {
		c.WriteHeader(http.StatusOK)
	}
	return c.ResponseWriter.Write(b)
}

func (c *catchingUpWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// pageRecorder passes a response through and keeps a copy of its status and body, unless the
// body turns out too large or, when it starts, already may not be kept (notKept): a member's first
// view of a thread page records posts as read, and its copy, some sixty kilobytes, would only be
// made to be thrown away.
type pageRecorder struct {
	http.ResponseWriter
	status   int
	wrote    bool
	body     bytes.Buffer
	keepable func() bool
	notKept  bool
	onHit    []func(*http.Request)
	forum    *forum.Forum
	scope    forum.PageScope
	scopeSeq uint64
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
	if p.body.Len() == 0 && !p.notKept && !p.keepable() {
		p.notKept = true
	}
	if !p.notKept {
		if p.body.Len()+len(b) > cachedPageMaxBytes {
			p.notKept = true
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

// showScope says, when w is filling a page cache, that the page shows only scope (one thread's
// pages, one category's lists) beyond what every page shows: its copy then stays kept while other
// threads and categories change. Call it before reading what the scope covers.
func showScope(w http.ResponseWriter, scope forum.PageScope) {
	if rec, ok := w.(*pageRecorder); ok {
		rec.scope, rec.scopeSeq = scope, rec.forum.ScopeSeq(scope)
	}
}

// onEveryView runs fn for this request and, when w is filling a page cache, again for every
// request served from the copy: work a page view does besides answering.
func onEveryView(w http.ResponseWriter, r *http.Request, fn func(*http.Request)) {
	fn(r)
	if rec, ok := w.(*pageRecorder); ok {
		rec.onHit = append(rec.onHit, fn)
	}
}
