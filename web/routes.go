package web

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// routes is the whole URL map of the pages and the API, in one readable table.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(securityHeaders)
	r.NotFound(s.notFound)
	r.MethodNotAllowed(s.methodNotAllowed)

	r.Handle("/static/*", staticFiles())

	r.Get("/", s.home)
	return r
}
