package web

import (
	"net/http"
	"strings"
	"testing"
)

// The API takes its bodies as documented: a field given twice, a field spelled in another case, or
// half a surrogate pair (which the decoder would store as U+FFFD) is refused, not guessed at; a
// whole pair (an emoji) is text like any other.
func TestAPIBodiesAreReadExactly(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, _ := fx.thread(t, fx.alice, "Strict", "opener")
	path := "/api/v1/threads/" + itoa(th.ID) + "/posts"
	for _, c := range []struct {
		body   string
		status int
		says   string
	}{
		{`{"body":"A","body":"B"}`, http.StatusUnprocessableEntity, "twice"},
		{`{"BODY":"x"}`, http.StatusUnprocessableEntity, "unknown field"},
		{`{"body":"half \ud800 a pair"}`, http.StatusBadRequest, "invalid_text"},
		{`{"body":"a low half \udc00 alone"}`, http.StatusBadRequest, "invalid_text"},
		{`{"body":"a backslash and text: \\ud800"}`, http.StatusCreated, ""},
		{`{"body":"a whole pair \ud83d\ude00"}`, http.StatusCreated, ""},
	} {
		rec := fx.api(t, fx.bob.Viewer(), "POST", path, c.body)
		if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.says) {
			t.Errorf("%s: %d %s, want %d saying %q", c.body, rec.Code, rec.Body.String(), c.status, c.says)
		}
	}
}
