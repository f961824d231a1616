// Package web serves Stoa's HTML pages and its JSON API: chi routes, thin handlers, sessions, CSRF
// protection, templ components and the embedded static files.
//
// Handlers parse the request, call package forum, and render; rules live in forum. Every route is
// listed in routes.go. Errors become responses in one place (errors.go, through internal/httperr);
// forms re-render with their problems and what was typed (forms.go). Pages work without
// JavaScript; static/app.js only enhances them.
//
// Who is asking is decided once per request by the authenticate middleware (auth_middleware.go):
// a session cookie for pages (HttpOnly, SameSite=Lax, Secure and __Host- prefixed on https, only a
// hash of it in the database), or "Authorization: Bearer <personal access token>" on /api/, where a
// bad token is a 401 and never a silent guest. /api/ also accepts the session cookie when no
// Authorization header is sent, so the site's own scripts can call it. New wraps everything in Go's
// http.CrossOriginProtection, so a browser's state-changing request from another origin is refused
// before any handler runs; together with SameSite cookies that is the CSRF defence, with no
// per-form tokens. The client address used for sign-in throttling comes from X-Forwarded-For only
// when the peer is a configured trusted proxy (client_ip.go).
//
// The lists, thread pages, their feeds and the thread API are kept in memory once made
// (pageCached): one copy for all guests (page_cache.go), one per member for a session's pages
// (member_cache.go), each kept until what it shows changes anywhere (forum.PageGeneration, and
// forum.ScopeSeq for the thread or category a handler names with showScope) or, for a member, what
// is theirs (forum.ReaderStamp). X-Stoa-Cache says whether an answer came from memory.
//
// Imports: forum and the internal helpers. Never federation, inbox or outbox: where a page needs
// something from federation (a thread's followable handle, say), this package declares a small
// interface (Federation, in federation.go) and cmd/stoa plugs in the implementation.
//
// Files: one per page or action (category_page.go, thread_page.go, reply.go, ...), each beside its
// .templ; api_*.go for /api/v1 (documented in docs/API.md); composer.templ is the shared writing
// form; request.go and view.go hold the small helpers they share. header.templ is the layout's
// search box and notifications link, whose counts come with the session (page.Counts, read by
// forum.ResumeSession in the same query, so they cost no query of their own). watch.go holds the
// watch / track / mute buttons and the jump to the first unread post; notifications.go,
// search.go, report.go, admin_reports.go and admin_search.go are those pages.
//
// Content from other servers is shown like local content and marked with its origin (remote.go,
// author.templ): an author elsewhere appears with their display name, avatar (an http(s) URL or
// nothing), handle user@host and a link to the post on its server. Their pages here are
// /u/{name}@{host} (remote_actor_page.go: profile, recent posts here, Follow/Unfollow); a remote
// category's mirror is /c/{slug}@{host}, the same page as a local category with the Group's follow
// state. Those pages show only what is stored and never fetch. Finding someone new is the one
// thing that makes this server fetch for a member: the box on the index and /remote
// (remote_lookup.go), a POST (so CSRF-checked), counted against a per-member budget, resolved
// through the RemoteActors interface that cmd/stoa implements on top of federation's WebFinger
// client and actor cache. The same is in the API as /api/v1/lookup and /api/v1/follows
// (api_remote.go).
package web
