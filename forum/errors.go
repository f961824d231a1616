package forum

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors returned (wrapped) by this package. Callers test them with errors.Is.
var (
	ErrNotFound       = errors.New("not found")
	ErrForbidden      = errors.New("forbidden")
	ErrUnauthorized   = errors.New("not signed in")
	ErrConflict       = errors.New("conflict")
	ErrLocked         = errors.New("locked")
	ErrGone           = errors.New("gone")
	ErrRateLimited    = errors.New("too many attempts")
	ErrBadCredentials = errors.New("wrong username or password")
	// ErrPostingTooFast is the rate limit on a member's posts (Options.PostsPerMinute).
	ErrPostingTooFast = fmt.Errorf("posting faster than this forum allows; wait a minute and post again: %w", ErrRateLimited)
	// ErrThreadHasReplies refuses a member's deletion of their opening post once others have
	// replied: it would take the thread, and the others' posts with it, out of everyone's reach.
	ErrThreadHasReplies = fmt.Errorf("others have replied to this thread, so only a moderator can delete it; "+
		"you can still edit your opening post: %w", ErrConflict)
	// ErrUnavailable means another server could not be reached, or answered with something
	// unusable, while serving a member's request (looking up a remote handle).
	ErrUnavailable = errors.New("remote server unavailable")
)

// ValidationError says which input was wrong and why, in words a person can act on.
type ValidationError struct {
	Problems []FieldProblem
}

// FieldProblem is one invalid input field.
type FieldProblem struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + ": " + p.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Add records a problem with a field.
func (e *ValidationError) Add(field, format string, args ...any) {
	e.Problems = append(e.Problems, FieldProblem{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns e if it holds any problem, else nil, so validators can end with `return v.Err()`.
func (e *ValidationError) Err() error {
	if e == nil || len(e.Problems) == 0 {
		return nil
	}
	return e
}

// Invalid builds a ValidationError about one field.
func Invalid(field, format string, args ...any) error {
	v := &ValidationError{}
	v.Add(field, format, args...)
	return v
}
