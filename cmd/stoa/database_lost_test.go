package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// Only an error that says the server ended the session drops the pool's connections: a
// statement refused, or one its caller gave up on, says nothing about the others.
func TestOnlyASessionTheServerEndedResetsThePool(t *testing.T) {
	t.Parallel()
	live := context.Background()
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		name string
		ctx  context.Context
		err  error
		want bool
	}{
		{"terminated by an administrator or a restart", live, &pgconn.PgError{Code: "57P01"}, true},
		{"the same, wrapped", live, fmt.Errorf("list threads: %w", &pgconn.PgError{Code: "57P01"}), true},
		{"crash shutdown", live, &pgconn.PgError{Code: "57P02"}, true},
		{"server starting", live, &pgconn.PgError{Code: "57P03"}, true},
		{"unique violation", live, &pgconn.PgError{Code: "23505"}, false},
		{"statement timeout", live, &pgconn.PgError{Code: "57014"}, false},
		{"connection cut", live, fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"connection reset", live, fmt.Errorf("write: %w", syscall.ECONNRESET), true},
		{"caller gave up", gone, fmt.Errorf("read: %w", io.ErrUnexpectedEOF), false},
		{"cancelled", gone, context.Canceled, false},
		{"no rows", live, errors.New("no rows in result set"), false},
	} {
		if got := serverEndedSession(c.ctx, c.err); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
