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
	// RetryAfter is the Retry-After a refusal carries, in seconds; 0 for none (a 503 always has
	// one, RetryAfterSeconds).
	RetryAfter int
}

func problem(status int, code, message string) Problem {
	return Problem{Status: status, Code: code, Message: message}
}

// ErrMalformed is a request body that cannot be read for what it claims to be (a form with a bad
// percent escape, say): the client's fault, 400, not the server's.
var ErrMalformed = errors.New("malformed request body")

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
		return problem(http.StatusUnprocessableEntity, "invalid", ve.Error())
	case errors.As(err, &mbe):
		return problem(http.StatusRequestEntityTooLarge, "too_large", "the request body is too large")
	case errors.Is(err, ErrMalformed):
		return problem(http.StatusBadRequest, "malformed", "the request body could not be read: it is not the form it says it is")
	case errors.Is(err, forum.ErrNotFound):
		return problem(http.StatusNotFound, "not_found", "not found")
	case errors.Is(err, forum.ErrGone):
		return problem(http.StatusGone, "gone", "this has been deleted")
	case errors.Is(err, forum.ErrUnauthorized):
		return problem(http.StatusUnauthorized, "unauthorized", "sign in first")
	case errors.Is(err, forum.ErrBadCredentials):
		return problem(http.StatusUnauthorized, "bad_credentials", "wrong username or password")
	case errors.Is(err, forum.ErrEmailUnconfirmed):
		return problem(http.StatusForbidden, "email_unconfirmed", "confirm your e-mail address before you post: open the link we mailed you, "+
			"or have it sent again from your e-mail settings")
	case errors.Is(err, forum.ErrForbidden):
		return problem(http.StatusForbidden, "forbidden", "you are not allowed to do that")
	case errors.Is(err, forum.ErrLocked):
		return problem(http.StatusConflict, "locked", "this thread is locked")
	case errors.Is(err, forum.ErrThreadHasReplies):
		return problem(http.StatusConflict, "has_replies", "others have replied to this thread, so only a moderator can delete it; "+
			"you can still edit your opening post")
	case errors.Is(err, forum.ErrConflict):
		return problem(http.StatusConflict, "conflict", "that conflicts with the current state")
	case errors.Is(err, forum.ErrRateLimited):
		return Problem{Status: http.StatusTooManyRequests, Code: "rate_limited", Message: "too many attempts; wait a little and try again",
			RetryAfter: RateLimitRetryAfterSeconds}
	case errors.Is(err, forum.ErrUnavailable):
		return problem(http.StatusBadGateway, "unavailable", "the other server could not be reached or gave an answer we cannot use; try again later")
	case forum.NotText(err):
		return problem(http.StatusBadRequest, "invalid_text", "the request holds bytes that are not text (a NUL, or invalid UTF-8)")
	case forum.DatabaseUnavailable(err):
		return problem(http.StatusServiceUnavailable, "database_unavailable", "the forum cannot reach its database right now; try again in a moment")
	case errors.Is(err, context.Canceled):
		return problem(StatusClientClosed, "canceled", "request canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return problem(http.StatusServiceUnavailable, "timeout", "the server took too long; try again")
	}
	return problem(http.StatusInternalServerError, "internal", "something went wrong on our side")
}

// RetryAfterSeconds is how long a 503 answer asks a client to wait before trying again: what
// makes one (a database restarting, a request that ran out of time, a busy inbox) passes in
// seconds.
const RetryAfterSeconds = 5

// RateLimitRetryAfterSeconds is how long a 429 asks a client to wait. The posting limit, the one
// bots meet, counts posts per minute, so its budget frees within a minute. The other limits
// (sign-in, registration, resets, reports, remote lookups) count over longer windows, but they are
// sliding windows, whose budget frees little by little as old hits age out, and the limiters only
// answer whether a bucket is over (forum/rate_limit.go), not when it will not be: a minute is then
// a hint, and a client refused again is told to wait again.
const RateLimitRetryAfterSeconds = 60

// SetHeaders sets the headers an answer with p carries beside its body: Retry-After on a 503, and
// on a refusal that says how long to wait (a 429).
func (p Problem) SetHeaders(h http.Header) {
	switch {
	case p.Status == http.StatusServiceUnavailable:
		h.Set("Retry-After", strconv.Itoa(max(p.RetryAfter, RetryAfterSeconds)))
	case p.RetryAfter > 0:
		h.Set("Retry-After", strconv.Itoa(p.RetryAfter))
	}
}
