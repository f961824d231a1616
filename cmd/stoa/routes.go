package main

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/stoa-forum/stoa/internal/observe"
	"github.com/stoa-forum/stoa/web"
)

// maxBodyBytes is the backstop for every request body; handlers set tighter limits of their own.
const maxBodyBytes = 8 << 20

// routes composes the public HTTP surface: health checks, then the web pages and API.
func (a *app) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(observe.Middleware(a.log, observe.NewHTTPMetrics(a.reg)))
	r.Use(func(next http.Handler) http.Handler { return http.MaxBytesHandler(next, maxBodyBytes) })

	r.Get("/livez", a.livez)
	r.Get("/readyz", a.readyz)

	r.Mount("/", web.New(web.Options{
		Forum:     a.forum,
		PublicURL: a.cfg.PublicURL,
		Log:       a.log,
		Secure:    a.cfg.PublicURL.Scheme == "https",
		// Which peers' X-Forwarded-For to believe for the client address (sign-in throttling).
		TrustedProxies: a.cfg.TrustedProxies,
	}))
	return r
}
