package httperr_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/httperr"
)

func TestOfMapsWrappedDomainErrors(t *testing.T) {
	cases := []struct {
		err    error
		status int
	}{
		{fmt.Errorf("thread 7: %w", forum.ErrNotFound), http.StatusNotFound},
		{fmt.Errorf("post: %w", forum.ErrGone), http.StatusGone},
		{fmt.Errorf("reply: %w", forum.ErrForbidden), http.StatusForbidden},
		{fmt.Errorf("reply: %w", forum.ErrLocked), http.StatusConflict},
		{fmt.Errorf("look up: %w", forum.ErrUnavailable), http.StatusBadGateway},
		{fmt.Errorf("login: %w", forum.ErrRateLimited), http.StatusTooManyRequests},
		{fmt.Errorf("create: %w", forum.Invalid("title", "is required")), http.StatusUnprocessableEntity},
		{fmt.Errorf("read: %w", &http.MaxBytesError{Limit: 10}), http.StatusRequestEntityTooLarge},
		{context.Canceled, httperr.StatusClientClosed},
		{errors.New("connection reset by database"), http.StatusInternalServerError},
	}
	for _, c := range cases {
		if got := httperr.Of(c.err); got.Status != c.status {
			t.Errorf("Of(%v) = %d, want %d", c.err, got.Status, c.status)
		}
	}
	if p := httperr.Of(errors.New("pq: password authentication failed for user stoa")); p.Message != "something went wrong on our side" {
		t.Errorf("internal error text leaked: %q", p.Message)
	}
}

// A database that cannot be reached, or is restarting, is a 503 that asks to try again shortly:
// it passes by itself, unlike a bug (500). The connect error is a real one, from a port nobody
// listens on.
func TestAnUnreachableDatabaseIsA503ToRetry(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, refused := pgconn.Connect(ctx, "postgres://stoa@127.0.0.1:1/stoa?sslmode=disable")
	if refused == nil {
		t.Fatal("connected to port 1")
	}
	for _, err := range []error{
		fmt.Errorf("threads of general: %w", refused),
		fmt.Errorf("thread 7: %w", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}),
		fmt.Errorf("thread 7: %w", &pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}),
		&pgconn.PgError{Code: "53300", Message: "sorry, too many clients already"},
	} {
		p := httperr.Of(err)
		if p.Status != http.StatusServiceUnavailable || p.Code != "database_unavailable" {
			t.Errorf("Of(%v) = %d %s, want 503 database_unavailable", err, p.Status, p.Code)
		}
		h := http.Header{}
		p.SetHeaders(h)
		if h.Get("Retry-After") != strconv.Itoa(httperr.RetryAfterSeconds) {
			t.Errorf("Of(%v): Retry-After %q", err, h.Get("Retry-After"))
		}
	}
	// A statement the database refused is not the database being away, nor is a body cut short.
	for _, err := range []error{&pgconn.PgError{Code: "23505"}, fmt.Errorf("avatar: %w", io.ErrUnexpectedEOF)} {
		if p := httperr.Of(err); p.Status != http.StatusInternalServerError {
			t.Errorf("Of(%v) = %d, want 500", err, p.Status)
		}
	}
	for _, p := range []httperr.Problem{httperr.Of(forum.ErrNotFound), httperr.Of(errors.New("bug"))} {
		h := http.Header{}
		p.SetHeaders(h)
		if h.Get("Retry-After") != "" {
			t.Errorf("a %d asks to retry after %s", p.Status, h.Get("Retry-After"))
		}
	}
}

// A 429 says when to try again, whichever limiter refused: the posting limit (per minute) and the
// others alike.
func TestRateLimitedAnswersSayWhenToRetry(t *testing.T) {
	for _, err := range []error{
		fmt.Errorf("alice: %w", forum.ErrPostingTooFast),
		fmt.Errorf("login: %w", forum.ErrRateLimited),
		fmt.Errorf("remote lookups by alice: %w", forum.ErrRateLimited),
	} {
		p := httperr.Of(err)
		h := http.Header{}
		p.SetHeaders(h)
		if p.Status != http.StatusTooManyRequests || h.Get("Retry-After") != "60" {
			t.Errorf("Of(%v) = %d with Retry-After %q, want 429 with 60 (posts are counted per minute)", err, p.Status, h.Get("Retry-After"))
		}
	}
}
