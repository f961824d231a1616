package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
	"github.com/stoa-forum/stoa/internal/httperr"
)

// handlerWithoutDatabase is the site over a pool that points at a port nobody listens on.
func handlerWithoutDatabase(t *testing.T) http.Handler {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), "postgres://stoa@127.0.0.1:1/stoa?sslmode=disable&connect_timeout=5")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	f, err := forum.New(pool, forum.Options{Secret: forumtest.Secret})
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("https://forum.example")
	return New(Options{Forum: f, PublicURL: base, Federation: testFederation{base: base.String()}})
}

// While the database is away (down, restarting), pages and the API say so and ask to try again
// shortly (503 with Retry-After), instead of reporting a fault of the forum (500). The pool points
// at a port nobody listens on.
func TestPagesAndTheAPISayTheDatabaseIsAwayAndToRetry(t *testing.T) {
	t.Parallel()
	h := handlerWithoutDatabase(t)
	for _, path := range []string{"/", "/c/general", "/t/1", "/api/v1/categories", "/api/v1/threads/1"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("%s: %d, want 503\n%s", path, rec.Code, rec.Body.String())
			continue
		}
		if got := rec.Header().Get("Retry-After"); got != strconv.Itoa(httperr.RetryAfterSeconds) {
			t.Errorf("%s: Retry-After %q", path, got)
		}
		if strings.HasPrefix(path, "/api/") {
			var answer struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil || answer.Error.Code != "database_unavailable" {
				t.Errorf("%s: %s", path, rec.Body.String())
			}
		} else if !strings.Contains(rec.Body.String(), "cannot reach its database") {
			t.Errorf("%s: the page does not say what is wrong:\n%s", path, rec.Body.String())
		}
	}
}

// A reply or a new thread sent while the database is away is not lost: the page that says so gives
// the text back to copy (the session could not even be looked up, so no handler read the form).
// A password sent meanwhile is never given back.
func TestAPostSentWhileTheDatabaseIsAwayGivesItsTextBack(t *testing.T) {
	t.Parallel()
	h := handlerWithoutDatabase(t)
	send := func(path string, form url.Values) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		// A well-formed token: looking it up is what needs the database.
		req.AddCookie(&http.Cookie{Name: "stoa_session", Value: base64.RawURLEncoding.EncodeToString(make([]byte, 32))})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	rec := send("/c/general/new", url.Values{"title": {"Plans for <Saturday>"}, "body": {"Long thoughts & more."}})
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("%d, want 503", rec.Code)
	}
	d := doc(t, rec)
	if got := attr(one(t, d, "kept-title"), "value"); got != "Plans for <Saturday>" {
		t.Errorf("kept title %q", got)
	}
	if got := text(one(t, d, "kept-body")); got != "Long thoughts & more." {
		t.Errorf("kept body %q", got)
	}
	rec = send("/login", url.Values{"login": {"alice"}, "password": {"a secret password"}})
	if strings.Contains(rec.Body.String(), "a secret password") {
		t.Error("the error page gives a password back")
	}
}
