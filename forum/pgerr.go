package forum

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
)

// isUniqueViolation reports whether err is a unique violation of the named constraint or index
// (any, when constraint is empty).
func isUniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		return false
	}
	return constraint == "" || pgErr.ConstraintName == constraint
}

// DatabaseUnavailable reports whether err means the database could not be reached or would not
// serve (it is starting, shutting down, restarting or out of connections) rather than refused what
// was asked: a failure that passes by itself, which a caller may answer with "try again in a
// moment". Only pgx's own error types count: a bare io.ErrUnexpectedEOF may as well be a client's
// truncated upload.
func DatabaseUnavailable(err error) bool {
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "57P") || pgErr.Code == "53300" // shutdown, starting; too many connections
	}
	return false
}

// NotText reports whether err is PostgreSQL refusing bytes that are not text: a NUL, or a
// sequence that is not UTF-8 (SQLSTATE 22021), or a NUL escaped in JSON (22P05). A browser never
// sends them; a crafted address or form does, and it is the request that is wrong, not the forum.
// ErrNotText is the same refusal made before PostgreSQL sees the bytes (a JSON body that is not
// UTF-8, which Go's decoder would otherwise turn into U+FFFD without a word).
func NotText(err error) bool {
	var pgErr *pgconn.PgError
	return errors.Is(err, ErrNotText) || errors.As(err, &pgErr) && (pgErr.Code == "22021" || pgErr.Code == "22P05")
}

// ErrNotText: see NotText.
var ErrNotText = errors.New("not text")

// checkText refuses, as PostgreSQL refuses a post's body, a line someone typed (a thread's or a
// category's title, a display name) holding a NUL or bytes that are not UTF-8, before cleanLine,
// which drops control characters, could store it silently altered: a NUL in a title was dropped
// while the same NUL in the body was refused.
func checkText(field, s string) error {
	if strings.ContainsRune(s, 0) || !utf8.ValidString(s) {
		return fmt.Errorf("%s: %w", field, ErrNotText)
	}
	return nil
}
