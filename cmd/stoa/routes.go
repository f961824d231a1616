package main

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/inbox"
	"github.com/stoa-forum/stoa/internal/observe"
	"github.com/stoa-forum/stoa/internal/querytrace"
	"github.com/stoa-forum/stoa/web"
)

// maxBodyBytes is the backstop for every request body; handlers set tighter limits of their own.
const maxBodyBytes = 8 << 20

// routes composes the public HTTP surface: health checks, federation's well-known documents and
// instance actor, then every other URL by content negotiation: ActivityStreams requests to
// federation (which hands back what it has no document for), the rest to the web pages and API.
func (a *app) routes() (http.Handler, error) {
	r := chi.NewRouter()
	r.Use(observe.Middleware(a.log, observe.NewHTTPMetrics(a.reg)))
	r.Use(func(next http.Handler) http.Handler { return http.MaxBytesHandler(next, maxBodyBytes) })
	// Every request counts as in flight for the inbox's apply jobs, which give way to it.
	r.Use(a.gate.Track)
	if a.cfg.QueryTiming {
		r.Use(querytrace.Middleware)
	}

	r.Get("/livez", a.livez)
	r.Get("/readyz", a.readyz)
	r.Head("/livez", a.livez)
	r.Head("/readyz", a.readyz)

	pages := web.New(web.Options{
		Forum:     a.forum,
		PublicURL: a.cfg.PublicURL,
		Log:       a.log,
		Secure:    a.cfg.PublicURL.Scheme == "https",
		// Which peers' X-Forwarded-For to believe for the client address (sign-in throttling).
		TrustedProxies: a.cfg.TrustedProxies,
		Federation:     webIDs{iris: a.fed.IRIs},
		Deliveries:     a.outbox,
		Remote:         webRemote{actors: a.fed.Actors},
		ThreadSync:     a.inbox,
		// The page caches keep themselves exact with ListenForChanges, which serve runs.
		GuestCacheBytes:  a.cfg.GuestCacheBytes,
		MemberCacheBytes: a.cfg.MemberCacheBytes,
	})
	fed, err := a.fed.Handler(pages)
	if err != nil {
		return nil, err
	}
	// Public even under authorized fetch: peers need them to find and verify this server.
	for path, h := range map[string]http.HandlerFunc{
		"/.well-known/webfinger": fed.WebFinger,
		"/.well-known/host-meta": fed.HostMeta,
		"/.well-known/nodeinfo":  fed.NodeInfoIndex,
		"/nodeinfo/2.0":          fed.NodeInfo20,
		"/nodeinfo/2.1":          fed.NodeInfo21,
	} {
		r.Get(path, h)
		r.Head(path, h)
	}
	// Inboxes take POSTs from other servers (package inbox); the same paths' GETs are pages or
	// collections below.
	for _, path := range inbox.Paths {
		r.Post(path, a.inbox.ServeHTTP)
	}
	// The instance actor and its collections are JSON whatever the Accept header says.
	for _, path := range []string{"/actor", "/actor/*"} {
		r.Get(path, fed.ServeHTTP)
		r.Head(path, fed.ServeHTTP)
	}
	rest := web.CanonicalCase(federation.Negotiate(fed, pages))
	// A method chi does not know (FOO, PROPFIND) is answered by the pages and API, which say what
	// the path takes (Allow) in their own error shape; chi's own answer was a bare 405.
	r.MethodNotAllowed(rest.ServeHTTP)
	r.Mount("/", rest)
	return r, nil
}
