// Package forum is Stoa's domain: members, categories, threads, posts, likes, follows, remote actors,
// moderation and search, unread tracking, watching and notifications, and reports, with the rules
// that govern them and all of their SQL.
//
// It knows nothing of HTTP or ActivityPub. Pages (package web), federation documents (federation),
// inbound activities (inbox) and deliveries (outbox) all call into it; it never calls them. Where the
// domain must cause work elsewhere (publish an activity, send an e-mail), it calls a small hook
// interface (Federator, Jobs, Markup) inside the transaction that changed the data, and cmd/stoa plugs
// in the implementations. That keeps every side effect atomic with the change that caused it.
//
// Imports: the standard library, pgx, and golang.org/x (argon2 for passwords, idna for host names).
// Errors: the sentinel errors in errors.go and *ValidationError; callers map them to responses, this
// package never picks an HTTP status.
//
// Layout: one file per aggregate (member.go, category.go, thread.go, post.go, ...), each holding the
// type, its rules and the queries that load and store it.
//
// What is kept in memory stays exact by PostgreSQL's notifications, which ListenForChanges hears
// from every process (change_listener.go): generations of what pages show, counted per thread and
// category too (page_changes.go), of who viewers are (session_cache.go) and of what members have
// read (reader_changes.go). Shared reads (shared_reads.go) and kept sessions live under them here;
// web's page caches read them through PageGeneration, ScopeSeq and ReaderStamp. Work no request
// waits for (jobs: InBackground, commit_mode.go) leaves them to the notifications; a request's
// writes wait until this process has heard their own (catch_up.go).
package forum
