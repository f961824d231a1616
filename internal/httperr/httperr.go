// Package httperr is the one place that maps errors to HTTP statuses. The domain returns sentinel
// errors (forum.ErrNotFound, ...) and never picks a status; web pages, the JSON API, federation
// documents and inboxes all ask this package, so the same error means the same status everywhere.
package httperr

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/stoa-forum/stoa/forum"
)

// Problem is an error as a response: a status, a stable machine code and a message safe to show.
type Problem struct {
	Status  int
	Code    string
	Message string
}

// StatusClientClosed is nginx's code for a client that went away; nothing is sent, it is logged.
const StatusClientClosed = 499

// Of classifies err. Unknown errors are 500 with a generic message: their text may hold internals.
func Of(err error) Problem {
	var ve *forum.ValidationError
	var mbe *http.MaxBytesError
	switch {
	case err == nil:
		return Problem{Status: http.StatusOK, Code: "ok"}
	case errors.As(err, &ve):
		return Problem{http.StatusUnprocessableEntity, "invalid", ve.Error()}
	case errors.As(err, &mbe):
		return Problem{http.StatusRequestEntityTooLarge, "too_large", "the request body is too large"}
	case errors.Is(err, forum.ErrNotFound):
		return Problem{http.StatusNotFound, "not_found", "not found"}
	case errors.Is(err, forum.ErrGone):
		return Problem{http.StatusGone, "gone", "this has been deleted"}
	case errors.Is(err, forum.ErrUnauthorized):
		return Problem{http.StatusUnauthorized, "unauthorized", "sign in first"}
	case errors.Is(err, forum.ErrBadCredentials):
		return Problem{http.StatusUnauthorized, "bad_credentials", "wrong username or password"}
	case errors.Is(err, forum.ErrForbidden):
		return Problem{http.StatusForbidden, "forbidden", "you are not allowed to do that"}
	case errors.Is(err, forum.ErrLocked):
		return Problem{http.StatusConflict, "locked", "this thread is locked"}
	case errors.Is(err, forum.ErrConflict):
		return Problem{http.StatusConflict, "conflict", "that conflicts with the current state"}
	case errors.Is(err, forum.ErrRateLimited):
		return Problem{http.StatusTooManyRequests, "rate_limited", "too many attempts; wait a little and try again"}
	case errors.Is(err, forum.ErrUnavailable):
		return Problem{http.StatusBadGateway, "unavailable", "the other server could not be reached or gave an answer we cannot use; try again later"}
	case forum.NotText(err):
		return Problem{http.StatusBadRequest, "invalid_text", "the request holds bytes that are not text (a NUL, or invalid UTF-8)"}
	case forum.DatabaseUnavailable(err):
		return Problem{http.StatusServiceUnavailable, "database_unavailable", "the forum cannot reach its database right now; try again in a moment"}
	case errors.Is(err, context.Canceled):
		return Problem{StatusClientClosed, "canceled", "request canceled"}
	case errors.Is(err, context.DeadlineExceeded):
		return Problem{http.StatusServiceUnavailable, "timeout", "the server took too long; try again"}
	}
	return Problem{http.StatusInternalServerError, "internal", "something went wrong on our side"}
}

// RetryAfterSeconds is how long a 503 answer asks a client to wait before trying again: what
// makes one (a database restarting, a request that ran out of time, a busy inbox) passes in
// seconds.
const RetryAfterSeconds = 5

// SetHeaders sets the headers an answer with p carries beside its body: Retry-After on a 503.
func (p Problem) SetHeaders(h http.Header) {
	if p.Status == http.StatusServiceUnavailable {
		h.Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
	}
}
