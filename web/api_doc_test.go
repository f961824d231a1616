package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/httperr"
)

func readAPIDoc(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile("../docs/API.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(doc)
}

// Every error code the API answers with is in docs/API.md's table, with its status: a bot tells
// errors apart by code, so an undocumented one (invalid_token was) is a code it cannot handle.
func TestAPIDocListsEveryErrorCode(t *testing.T) {
	t.Parallel()
	listed := map[string]int{}
	for _, m := range regexp.MustCompile("(?m)^\\| (\\d{3}) \\| `([a-z_]+)` \\|").FindAllStringSubmatch(readAPIDoc(t), -1) {
		listed[m[2]], _ = strconv.Atoi(m[1])
	}
	emitted := []httperr.Problem{
		// bearerRefused and methodNotAllowed build their own.
		{Status: http.StatusUnauthorized, Code: "invalid_token"},
		{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed"},
	}
	for _, err := range []error{forum.Invalid("title", "is required"), &http.MaxBytesError{}, forum.ErrNotFound, forum.ErrGone,
		forum.ErrUnauthorized, forum.ErrForbidden, forum.ErrEmailUnconfirmed, forum.ErrLocked, forum.ErrRateLimited, forum.ErrUnavailable, errors.New("bug")} {
		emitted = append(emitted, httperr.Of(fmt.Errorf("x: %w", err)))
	}
	for _, p := range emitted {
		if status, ok := listed[p.Code]; !ok || status != p.Status {
			t.Errorf("docs/API.md lists %q as %d, the API answers %d", p.Code, status, p.Status)
		}
	}
}

// The body cap docs/API.md states, and what it says fits in it: 32,000 characters of any script
// sent as UTF-8, about 21,500 when each is escaped as \uXXXX, 10,750 outside the BMP.
func TestAPIDocBodyCapIsTrue(t *testing.T) {
	t.Parallel()
	doc := readAPIDoc(t)
	if want := strconv.FormatFloat(float64(maxJSONBytes), 'f', 0, 64); !strings.Contains(strings.ReplaceAll(doc, ",", ""), "126 KiB\n  ("+want+" bytes)") ||
		maxJSONBytes != 126<<10 {
		t.Errorf("docs/API.md does not state the cap, %d bytes", maxJSONBytes)
	}
	fits := func(body string) bool {
		r := httptest.NewRequest("POST", "/api/v1/categories/general/threads", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var in apiNewThread
		err := readJSON(httptest.NewRecorder(), r, &in)
		var mbe *http.MaxBytesError
		if err != nil && !errors.As(err, &mbe) {
			t.Fatalf("%.40s...: %v", body, err)
		}
		return err == nil
	}
	thread := func(title, body string) string { return `{"title":"` + title + `","body":"` + body + `"}` }
	if !fits(thread(strings.Repeat("🎉", forum.MaxTitleLen), strings.Repeat("🎉", forum.MaxBodyLen))) {
		t.Error("the longest title and body in 4-byte UTF-8 do not fit")
	}
	if fits(`{"body":"` + strings.Repeat(`\u65e5`, forum.MaxBodyLen) + `"}`) {
		t.Error(`32,000 \u-escaped characters fit: the docs say they do not`)
	}
	if !fits(`{"body":"`+strings.Repeat(`\u65e5`, 21500)+`"}`) || fits(`{"body":"`+strings.Repeat(`\u65e5`, 21600)+`"}`) {
		t.Error(`about 21,500 \u-escaped characters should fit, and no more`)
	}
	if !fits(`{"body":"`+strings.Repeat(`\ud83c\udf89`, 10750)+`"}`) || fits(`{"body":"`+strings.Repeat(`\ud83c\udf89`, 10800)+`"}`) {
		t.Error(`about 10,750 \u-escaped emoji should fit, and no more`)
	}
	for _, claim := range []string{"32,000-character body", "21,500", "10,750"} {
		if !strings.Contains(doc, claim) {
			t.Errorf("docs/API.md no longer says %q: update this test with it", claim)
		}
	}
}
