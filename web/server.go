package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/stoa-forum/stoa/forum"
)

// Options are what the web handlers need.
type Options struct {
	Forum     *forum.Forum
	PublicURL *url.URL
	Log       *slog.Logger
	// Secure marks cookies Secure; true when the public URL is https.
	Secure bool
	// Federation supplies ActivityPub ids for pages and the API (federation.go). Nil: ids are
	// left empty and no follow handle is shown.
	Federation Federation
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is believed; the client address
	// of a request from anyone else is its peer address. Empty: trust no header.
	TrustedProxies []netip.Prefix
	// Deliveries lets the admin's delivery pages retry a domain now (admin_deliveries.go). Nil:
	// "retry now" only clears the domain's failure record.
	Deliveries DeliveryControl
	// Remote finds actors on other servers (remote.go). Nil: looking up and following remote
	// actors answers 404.
	Remote RemoteActors
	// ThreadSync catches mirrored threads up with their home when read (thread_sync.go). Nil:
	// mirrored threads show only what was delivered.
	ThreadSync ThreadSyncer
	// GuestCacheBytes bounds the memory of the guests' page cache (page_cache.go). 0: no cache.
	GuestCacheBytes int
	// MemberCacheBytes bounds the memory of the members' page cache (member_cache.go). 0: none.
	MemberCacheBytes int
	// Now is the clock members' kept pages age by (member_cache.go). Nil: time.Now.
	Now func() time.Time
}

// Server holds the handlers' dependencies. Build it with New.
type Server struct {
	forum   *forum.Forum
	public  *url.URL
	log     *slog.Logger
	secure  bool
	fed     Federation
	proxies []netip.Prefix
	// deliveries is the outbox's control for the admin's delivery pages.
	deliveries DeliveryControl
	// remote looks up actors on other servers.
	remote RemoteActors
	// sync catches mirrored threads up with their home.
	sync ThreadSyncer
	// pages keeps the pages guests and members are shown (page_cache.go).
	pages *pageCache
	// now is the clock members' kept pages age by.
	now func() time.Time
	// router is the URL map (routes), kept to tell a 405 which methods its path takes.
	router chi.Routes
}

// New returns the web handler tree, wrapped in cross-origin (CSRF) protection: a browser's
// state-changing request from another origin is refused with 403 before any handler runs.
func New(opts Options) http.Handler {
	s := &Server{forum: opts.Forum, public: opts.PublicURL, log: opts.Log, secure: opts.Secure, fed: opts.Federation,
		proxies: opts.TrustedProxies, deliveries: opts.Deliveries, remote: opts.Remote, sync: opts.ThreadSync,
		pages: newPageCache(opts.GuestCacheBytes, opts.MemberCacheBytes), now: opts.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	csrf := http.NewCrossOriginProtection()
	if s.public != nil {
		// Behind a proxy that rewrites Host, the browser's Origin is the public URL's.
		if err := csrf.AddTrustedOrigin(s.public.Scheme + "://" + s.public.Host); err != nil {
			s.log.Warn("public URL is not a valid trusted origin", "url", s.public.String(), "err", err)
		}
	}
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, fmt.Errorf("cross-origin %s %s: %w", r.Method, r.URL.Path, forum.ErrForbidden))
	}))
	routes := s.routes()
	protected := csrf.Handler(routes)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// An API call that carries its token is not what cross-site forgery is about: a browser
		// attaches cookies to a forged request, never an Authorization header, and on /api/ the
		// token alone decides who calls (authenticate). A bot in a browser context (an extension,
		// a dashboard) sends an Origin, and was refused as "not allowed".
		if isAPI(r) && r.Header.Get("Authorization") != "" {
			routes.ServeHTTP(w, r)
			return
		}
		protected.ServeHTTP(w, r)
	})
}
