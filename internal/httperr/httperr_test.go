package httperr_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

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
