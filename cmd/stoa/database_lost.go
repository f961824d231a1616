package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// When PostgreSQL ends its sessions (a restart, a failover, an administrator's
// pg_terminate_backend), every connection the pool keeps open is dead, and the pool learns it one
// connection at a time: each is found out by the statement that next uses it, which fails. A
// server keeps 20 or more open (keepPoolOpen), so a restart cost that many failed requests and
// jobs, however short the outage (a test that cut the connections counted 14 failed /readyz in a
// row). pgxpool pings before use only a connection idle for over a second.
//
// lostConnections watches every statement's outcome; the first that says the server ended its
// session drops every idle connection of the pool at once (pgxpool's Reset; connections in use
// are closed when released), so the statements after it connect afresh. A statement cancelled by
// its caller also closes its connection, but that says nothing of the others and resets nothing.
type lostConnections struct {
	pool      atomic.Pointer[pgxpool.Pool]
	resetting atomic.Bool
}

var (
	_ pgx.QueryTracer = (*lostConnections)(nil)
	_ pgx.BatchTracer = (*lostConnections)(nil)
)

// watch makes the tracer reset pool, once it is open.
func (l *lostConnections) watch(pool *pgxpool.Pool) { l.pool.Store(pool) }

func (l *lostConnections) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (l *lostConnections) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	l.check(ctx, data.Err)
}

func (l *lostConnections) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

func (l *lostConnections) TraceBatchQuery(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchQueryData) {
	l.check(ctx, data.Err)
}

func (l *lostConnections) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchEndData) {
	l.check(ctx, data.Err)
}

// check resets the pool, from a goroutine of its own (the statement's connection is still held
// here), when err says the server is gone; a reset already under way is not started again.
func (l *lostConnections) check(ctx context.Context, err error) {
	if err == nil || !serverEndedSession(ctx, err) {
		return
	}
	pool := l.pool.Load()
	if pool == nil || !l.resetting.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer l.resetting.Store(false)
		pool.Reset()
	}()
}

// serverEndedSession reports whether err, a statement's error, means the server ended the
// connection's session rather than refused the statement: an error of SQLSTATE class 57P (admin or
// crash shutdown, cannot connect now, database dropped; forum.DatabaseUnavailable says the same to
// callers), or the connection cut while the caller still waited (only pgx's errors come here, so a
// bare EOF is the connection's).
func serverEndedSession(ctx context.Context, err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "57P")
	}
	if ctx.Err() != nil {
		return false
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
