package federation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stoa-forum/stoa/internal/httperr"
)

// A key that cannot be looked up because this server's database is down is not the sender's bad
// signature: the answer is a 503 the sender retries, and names nothing of the database. A key
// that cannot be found or fetched is still a 401 that says why.
func TestAKeyLookupFailingOnOurDatabaseIsNotABadSignature(t *testing.T) {
	t.Parallel()
	v := &Verifier{}
	ctx := context.Background()
	down := fmt.Errorf("actor with key: %w", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"})
	err := v.keyError(ctx, "https://peer.example/u/a#main-key", down)
	if errors.Is(err, ErrBadSignature) {
		t.Fatalf("a database outage answered as a bad signature: %v", err)
	}
	if p := httperr.Of(err); p.Status != http.StatusServiceUnavailable || strings.Contains(p.Message, "administrator") {
		t.Errorf("answered %d %q, want 503 without the database's words", p.Status, p.Message)
	}
	err = v.keyError(ctx, "https://peer.example/u/a#main-key", errors.New("GET https://peer.example/u/a: HTTP 404"))
	if !errors.Is(err, ErrBadSignature) || httperr.Of(err).Status != http.StatusUnauthorized {
		t.Errorf("a key that is not there: %v, want a 401 bad signature", err)
	}
}
