package web

import (
	"log/slog"
	"net/http"
	"net/url"

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
}

// Server holds the handlers' dependencies. Build it with New.
type Server struct {
	forum  *forum.Forum
	public *url.URL
	log    *slog.Logger
	secure bool
	fed    Federation
}

// New returns the web handler tree.
func New(opts Options) http.Handler {
	s := &Server{forum: opts.Forum, public: opts.PublicURL, log: opts.Log, secure: opts.Secure, fed: opts.Federation}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s.routes()
}
