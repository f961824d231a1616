// Package web serves Stoa's HTML pages and its JSON API: chi routes, thin handlers, sessions, CSRF
// protection, templ components and the embedded static files.
//
// Handlers parse the request, call package forum, and render; rules live in forum. Every route is
// listed in routes.go. Errors become responses in one place (errors.go, through internal/httperr).
// Pages work without JavaScript; static/app.js only enhances them.
//
// Imports: forum and the internal helpers. Never federation, inbox or outbox: where a page needs
// something from federation (a thread's followable handle, say), this package declares a small
// interface (Federation, in federation.go) and cmd/stoa plugs in the implementation.
//
// Files: one per page or action (category_page.go, thread_page.go, reply.go, ...), each beside its
// .templ; api_*.go for /api/v1 (documented in docs/API.md); composer.templ is the shared writing
// form; request.go and view.go hold the small helpers they share.
package web
