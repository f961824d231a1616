// Package querytrace counts and times the SQL queries each HTTP request runs, for benchmarks and
// for checking a page's query budget against a real server: a pgx tracer adds every query run with
// a request's context to that request's Stats, and Middleware reports them in a Server-Timing
// header (`db;dur=1.234;desc="4 queries"`).
//
// `stoa serve` installs both only with STOA_QUERY_TIMING=1: the header tells any client how much
// database work a URL costs, which is for the operator's eyes, and the tracer costs a little on
// every query. Explain runs EXPLAIN ANALYZE on recorded statements (a custom and a generic plan),
// which is why this package, unlike the rest outside forum, holds SQL: it only wraps statements
// forum wrote.
//
// Imports: the standard library and pgx.
package querytrace
