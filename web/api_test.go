package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

func (fx *webFixture) api(t *testing.T, v forum.Viewer, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	if body == "" {
		return fx.do(t, v, method, path, nil)
	}
	return fx.do(t, v, method, path, strings.NewReader(body), "Content-Type", "application/json")
}

// decode reads a JSON response into a generic value, so tests check the wire shape, not Go structs.
func decode(t *testing.T, rec *httptest.ResponseRecorder) any {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("content type %q", ct)
	}
	var v any
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, rec.Body)
	}
	return v
}

func keys(v any) []string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func wantKeys(t *testing.T, what string, v any, want ...string) {
	t.Helper()
	sort.Strings(want)
	if got := keys(v); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s keys %v, want %v", what, got, want)
	}
}

// wantAPIError checks status and the {"error":{"code","message"}} body.
func wantAPIError(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) string {
	t.Helper()
	wantCode(t, rec, status)
	body := decode(t, rec)
	wantKeys(t, "error body", body, "error")
	e := body.(map[string]any)["error"]
	wantKeys(t, "error", e, "code", "message")
	if got := e.(map[string]any)["code"]; got != code {
		t.Fatalf("error code %v, want %s", got, code)
	}
	return e.(map[string]any)["message"].(string)
}

var (
	threadKeys = []string{"id", "title", "url", "ap_id", "category", "author", "created_at", "last_post_at", "post_count",
		"locked", "pinned", "hidden", "deleted", "follow", "local"}
	postKeys = []string{"id", "ap_id", "url", "author", "body_html", "created_at", "updated_at", "like_count", "liked",
		"in_reply_to", "position", "deleted", "hidden", "origin_url", "withheld"}
)

func TestAPIReads(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, opener := fx.thread(t, fx.alice, "API thread", "hello **api**")
	fx.reply(t, fx.bob, th.ID, "reply")

	cats := decode(t, fx.api(t, forum.Guest, "GET", "/api/v1/categories", "")).([]any)
	if len(cats) != 1 {
		t.Fatalf("%d categories", len(cats))
	}
	wantKeys(t, "category", cats[0], "slug", "title", "description", "ap_id", "handle")
	c := cats[0].(map[string]any)
	if c["slug"] != "general" || c["handle"] != "general@forum.example" || c["ap_id"] != "https://forum.example/c/general" {
		t.Errorf("category %v", c)
	}

	list := decode(t, fx.api(t, forum.Guest, "GET", "/api/v1/categories/general/threads", "")).(map[string]any)
	wantKeys(t, "thread list", list, "threads", "next_cursor")
	// The category's own handle, as the list gives it, names it too.
	byHandle := decode(t, fx.api(t, forum.Guest, "GET", "/api/v1/categories/general@forum.example/threads", "")).(map[string]any)
	if len(byHandle["threads"].([]any)) != len(list["threads"].([]any)) {
		t.Errorf("by its handle, the category lists %v", byHandle)
	}
	if list["next_cursor"] != nil {
		t.Errorf("next_cursor %v on the only page", list["next_cursor"])
	}
	threads := list["threads"].([]any)
	wantKeys(t, "thread", threads[0], threadKeys...)
	tj := threads[0].(map[string]any)
	if tj["url"] != "https://forum.example/t/"+itoa(th.ID) || tj["category"] != "general" || tj["post_count"] != 2.0 {
		t.Errorf("thread %v", tj)
	}
	wantKeys(t, "author", tj["author"], "handle", "ap_id", "local", "name", "avatar_url", "url", "page")
	if a := tj["author"].(map[string]any); a["handle"] != "alice@forum.example" || a["local"] != true || a["ap_id"] != "https://forum.example/u/alice" ||
		a["page"] != "https://forum.example/u/alice" || a["url"] != a["page"] || tj["local"] != true {
		t.Errorf("author %v", a)
	}
	wantKeys(t, "follow", tj["follow"], "handle", "ap_id")

	full := decode(t, fx.api(t, forum.Guest, "GET", "/api/v1/threads/"+itoa(th.ID), "")).(map[string]any)
	wantKeys(t, "thread with posts", full, append(threadKeys, "posts", "next_cursor")...)
	posts := full["posts"].([]any)
	if len(posts) != 2 {
		t.Fatalf("%d posts", len(posts))
	}
	wantKeys(t, "post", posts[0], postKeys...)
	p := posts[0].(map[string]any)
	if p["id"] != float64(opener.ID) || !strings.Contains(p["body_html"].(string), "<strong>api</strong>") || p["updated_at"] != nil ||
		p["ap_id"] != "https://forum.example/p/"+itoa(opener.ID) || p["in_reply_to"] != nil {
		t.Errorf("post %v", p)
	}

	wantAPIError(t, fx.api(t, forum.Guest, "GET", "/api/v1/threads/999999", ""), http.StatusNotFound, "not_found")
	wantAPIError(t, fx.api(t, forum.Guest, "GET", "/api/v1/categories/nope/threads", ""), http.StatusNotFound, "not_found")
	wantAPIError(t, fx.api(t, forum.Guest, "GET", "/api/v1/nothing", ""), http.StatusNotFound, "not_found")
	wantAPIError(t, fx.api(t, forum.Guest, "GET", "/api/v1/threads/"+itoa(th.ID)+"?cursor=-1", ""), http.StatusUnprocessableEntity, "invalid")
	// A cursor far past the end is an empty page, as one a little past it is; one past the
	// database's int4 positions was a 500.
	for _, c := range []string{"100000", "2147483617", "9223372036854775807"} {
		rec := fx.api(t, forum.Guest, "GET", "/api/v1/threads/"+itoa(th.ID)+"?cursor="+c, "")
		if rec.Code != http.StatusOK || len(decode(t, rec).(map[string]any)["posts"].([]any)) != 0 {
			t.Errorf("cursor %s: %d %s, want an empty page", c, rec.Code, rec.Body)
		}
	}
	wantAPIError(t, fx.api(t, forum.Guest, "PUT", "/api/v1/categories", ""), http.StatusMethodNotAllowed, "method_not_allowed")
}

func TestAPICursorsWalkEveryItemOnce(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, _ := fx.thread(t, fx.alice, "Long", "1")
	for i := 0; i < forum.DefaultPostsPerPage+5; i++ {
		fx.reply(t, fx.bob, th.ID, "r"+itoa(int64(i)))
	}
	for i := 0; i < forum.ThreadsPerPage; i++ {
		fx.thread(t, fx.bob, "more", "b"+itoa(int64(i)))
	}
	seen := map[float64]bool{}
	path := "/api/v1/threads/" + itoa(th.ID)
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("cursor never ends")
		}
		body := decode(t, fx.api(t, forum.Guest, "GET", path, "")).(map[string]any)
		for _, p := range body["posts"].([]any) {
			id := p.(map[string]any)["id"].(float64)
			if seen[id] {
				t.Fatalf("post %v twice", id)
			}
			seen[id] = true
		}
		if body["next_cursor"] == nil {
			break
		}
		path = "/api/v1/threads/" + itoa(th.ID) + "?cursor=" + body["next_cursor"].(string)
	}
	if len(seen) != forum.DefaultPostsPerPage+6 {
		t.Fatalf("saw %d posts, want %d", len(seen), forum.DefaultPostsPerPage+6)
	}
	first := decode(t, fx.api(t, forum.Guest, "GET", "/api/v1/categories/general/threads", "")).(map[string]any)
	next, ok := first["next_cursor"].(string)
	if !ok || len(first["threads"].([]any)) != forum.ThreadsPerPage {
		t.Fatalf("first page: %d threads, cursor %v", len(first["threads"].([]any)), first["next_cursor"])
	}
	second := decode(t, fx.api(t, forum.Guest, "GET", "/api/v1/categories/general/threads?cursor="+next, "")).(map[string]any)
	if len(second["threads"].([]any)) != 1 || second["next_cursor"] != nil {
		t.Fatalf("second page: %v", second)
	}
}

func TestAPIWrites(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	alice, bob := fx.alice.Viewer(), fx.bob.Viewer()

	wantAPIError(t, fx.api(t, forum.Guest, "POST", "/api/v1/categories/general/threads", `{"title":"t","body":"b"}`), http.StatusUnauthorized, "unauthorized")
	rec := fx.api(t, alice, "POST", "/api/v1/categories/general/threads", `{"title":"From the API","body":"made by *script*"}`)
	wantCode(t, rec, http.StatusCreated)
	created := decode(t, rec)
	wantKeys(t, "created thread", created, threadKeys...)
	threadID := int64(created.(map[string]any)["id"].(float64))
	if loc := rec.Header().Get("Location"); loc != "https://forum.example/api/v1/threads/"+itoa(threadID) {
		t.Errorf("Location %q", loc)
	}

	rec = fx.api(t, bob, "POST", "/api/v1/threads/"+itoa(threadID)+"/posts", `{"body":"a reply"}`)
	wantCode(t, rec, http.StatusCreated)
	reply := decode(t, rec).(map[string]any)
	wantKeys(t, "created post", reply, postKeys...)
	replyID := int64(reply["id"].(float64))
	if reply["position"] != 2.0 || reply["author"].(map[string]any)["handle"] != "bob@forum.example" {
		t.Errorf("reply %v", reply)
	}
	rec = fx.api(t, alice, "POST", "/api/v1/threads/"+itoa(threadID)+"/posts", `{"body":"answer","in_reply_to":`+itoa(replyID)+`}`)
	wantCode(t, rec, http.StatusCreated)
	if got := decode(t, rec).(map[string]any)["in_reply_to"]; got != float64(replyID) {
		t.Errorf("in_reply_to %v", got)
	}

	rec = fx.api(t, bob, "PATCH", "/api/v1/posts/"+itoa(replyID), `{"body":"an edited reply"}`)
	wantCode(t, rec, http.StatusOK)
	edited := decode(t, rec).(map[string]any)
	if edited["updated_at"] == nil || !strings.Contains(edited["body_html"].(string), "an edited reply") {
		t.Errorf("edited %v", edited)
	}
	wantAPIError(t, fx.api(t, alice, "PATCH", "/api/v1/posts/"+itoa(replyID), `{"body":"not mine"}`), http.StatusForbidden, "forbidden")

	rec = fx.api(t, alice, "POST", "/api/v1/posts/"+itoa(replyID)+"/like", "")
	wantCode(t, rec, http.StatusOK)
	if got := decode(t, rec).(map[string]any); got["liked"] != true || got["like_count"] != 1.0 {
		t.Errorf("like %v", got)
	}
	wantAPIError(t, fx.api(t, bob, "POST", "/api/v1/posts/"+itoa(replyID)+"/like", ""), http.StatusForbidden, "forbidden")
	rec = fx.api(t, alice, "DELETE", "/api/v1/posts/"+itoa(replyID)+"/like", "")
	if got := decode(t, rec).(map[string]any); got["liked"] != false || got["like_count"] != 0.0 {
		t.Errorf("unlike %v", got)
	}

	wantAPIError(t, fx.api(t, alice, "DELETE", "/api/v1/posts/"+itoa(replyID), ""), http.StatusForbidden, "forbidden")
	wantCode(t, fx.api(t, bob, "DELETE", "/api/v1/posts/"+itoa(replyID), ""), http.StatusNoContent)
	gone := decode(t, fx.api(t, alice, "GET", "/api/v1/posts/"+itoa(replyID), "")).(map[string]any)
	if gone["deleted"] != true || gone["body_html"] != "" || gone["position"] != 2.0 {
		t.Errorf("deleted post %v", gone)
	}
}

func TestAPIRefusesBadBodiesClearly(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	alice := fx.alice.Viewer()
	path := "/api/v1/categories/general/threads"
	cases := []struct {
		name, body, contentType, want string
	}{
		{"unknown field", `{"title":"t","body":"b","sticky":true}`, "application/json", `unknown field "sticky"`},
		{"not JSON", `{"title":`, "application/json", "not valid JSON"},
		{"wrong type", `{"title":5,"body":"b"}`, "application/json", `field "title" must be a string`},
		{"two objects", `{"title":"t","body":"b"}{}`, "application/json", "single JSON object"},
		{"an array", `[]`, "application/json", "body: must be a JSON object"},
		{"a string", `"t"`, "application/json", "body: must be a JSON object"},
		{"object for a string", `{"title":{},"body":"b"}`, "application/json", `field "title" must be a string`},
		{"empty", ``, "application/json", "is empty"},
		{"form body", `title=t&body=b`, "application/x-www-form-urlencoded", "must be application/json"},
		{"another charset", `{"title":"t","body":"b"}`, "application/json; charset=latin1", "must be UTF-8"},
		{"blank title", `{"title":" ","body":"b"}`, "application/json", "title: is required"},
	}
	for _, c := range cases {
		rec := fx.do(t, alice, "POST", path, strings.NewReader(c.body), "Content-Type", c.contentType)
		msg := wantAPIError(t, rec, http.StatusUnprocessableEntity, "invalid")
		if !strings.Contains(msg, c.want) {
			t.Errorf("%s: message %q, want it to say %q", c.name, msg, c.want)
		}
		// Go's names for things (web.apiNewThread, map[string]interface {}) are internals.
		if strings.Contains(msg, "web.") || strings.Contains(msg, "api") || strings.Contains(msg, "interface") {
			t.Errorf("%s: message %q names Go types", c.name, msg)
		}
	}
	// Bytes that are not UTF-8 are refused as the forms' are, not turned into U+FFFD.
	wantAPIError(t, fx.do(t, alice, "POST", path, strings.NewReader("{\"title\":\"t\",\"body\":\"bad \xff utf8\"}"), "Content-Type", "application/json"),
		http.StatusBadRequest, "invalid_text")
	huge := `{"title":"t","body":"` + strings.Repeat("x", maxJSONBytes) + `"}`
	wantAPIError(t, fx.do(t, alice, "POST", path, strings.NewReader(huge), "Content-Type", "application/json"),
		http.StatusRequestEntityTooLarge, "too_large")
	var n int
	if err := fx.pool.QueryRow(fx.ctx, "SELECT count(*) FROM threads").Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d threads after refused requests", n)
	}
	wantCode(t, fx.do(t, alice, "POST", path, strings.NewReader(`{"title":"t","body":"b"}`), "Content-Type", "application/json; charset=UTF-8"),
		http.StatusCreated)
}

// The API's times are UTC whatever zone they come in: pgx scans a timestamptz in the process's
// local zone, so a host with TZ=America/New_York would otherwise write "-05:00" offsets.
func TestAPITimesAreUTC(t *testing.T) {
	t.Parallel()
	base, _ := url.Parse("https://forum.example")
	s := &Server{public: base} // no federation: ids and follow handles are not what this test is about
	ny := time.FixedZone("EST", -5*3600)
	at := time.Date(2026, 11, 24, 8, 45, 59, 123000000, ny)
	edited := at.Add(time.Minute)
	th := s.apiThreadOf(context.Background(), forum.Thread{ID: 1, CreatedAt: at, LastPostAt: at}, forum.Author{AuthorUsername: "alice"}, "general")
	p := s.apiPostOf(forum.Post{ID: 2, CreatedAt: at, EditedAt: &edited})
	for _, encoded := range []func() ([]byte, error){
		func() ([]byte, error) { return th.appendJSON(nil) },
		func() ([]byte, error) { return p.appendJSON(nil) },
		func() ([]byte, error) { return json.Marshal(apiSearchPost{apiPost: p, Thread: th}) },
	} {
		b, err := encoded()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "-05:00") || !strings.Contains(string(b), `"2026-11-24T13:45:59.123Z"`) {
			t.Errorf("times not in UTC: %s", b)
		}
	}
	if !edited.Equal(*p.UpdatedAt) || p.UpdatedAt.Location() != time.UTC {
		t.Errorf("updated_at %v, want %v in UTC", p.UpdatedAt, edited)
	}
}

// A guest's write is 401 before anything is read or looked up: whatever the category, thread or
// post (one they may not see, one that does not exist) and whatever the body (broken, too big),
// so the answer tells nothing about what exists.
func TestAPIGuestWritesAreRefusedFirst(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	mods := fx.staffCategory(t, "mods")
	hidden, _, err := fx.f.CreateThread(fx.ctx, fx.mod.Viewer(), forum.NewThread{CategoryID: mods.ID, Title: "Staff only", Body: "b"})
	if err != nil {
		t.Fatal(err)
	}
	th, opener := fx.thread(t, fx.alice, "Public", "hello")
	huge := `{"body":"` + strings.Repeat("x", maxJSONBytes) + `"}`
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/api/v1/categories/general/threads", `{"title":"t","body":"b"}`},
		{"POST", "/api/v1/categories/mods/threads", `{"title":"t","body":"b"}`},
		{"POST", "/api/v1/categories/zzz/threads", `{"title":"t","body":"b"}`},
		{"POST", "/api/v1/categories/zzz/threads", `[`},
		{"POST", "/api/v1/categories/zzz/threads", huge},
		{"POST", "/api/v1/threads/" + itoa(th.ID) + "/posts", `{"body":"b"}`},
		{"POST", "/api/v1/threads/" + itoa(hidden.ID) + "/posts", `{"body":"b"}`},
		{"POST", "/api/v1/threads/99999/posts", `{"body":"b"}`},
		{"POST", "/api/v1/threads/x/posts", `{"body":"b"}`},
		{"POST", "/api/v1/threads/99999/posts", `{"nope":1}`},
		{"POST", "/api/v1/threads/99999/posts", huge},
		{"PATCH", "/api/v1/posts/" + itoa(opener.ID), `{"body":"b"}`},
		{"PATCH", "/api/v1/posts/99999", `not json`},
		{"DELETE", "/api/v1/posts/99999", ""},
		{"POST", "/api/v1/posts/99999/like", ""},
		{"DELETE", "/api/v1/posts/99999/like", ""},
	} {
		rec := fx.api(t, forum.Guest, c.method, c.path, c.body)
		if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), `"unauthorized"`) {
			t.Errorf("guest %s %s (%.20s): %d %s", c.method, c.path, c.body, rec.Code, rec.Body)
		}
	}
}

// A 405 names the methods the path takes (Allow), in the API and on pages alike.
func TestMethodNotAllowedSaysWhatIsAllowed(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	for _, c := range []struct{ method, path, allow string }{
		{"PUT", "/api/v1/categories", "GET, HEAD"},
		{"DELETE", "/api/v1/threads/1", "GET, HEAD"},
		{"PUT", "/api/v1/posts/1", "GET, HEAD, PATCH, DELETE"},
		{"GET", "/api/v1/posts/1/like", "POST, DELETE"},
		{"PATCH", "/api/v1/categories/general/threads", "GET, HEAD, POST"},
		{"DELETE", "/t/1", "GET, HEAD"},
	} {
		rec := fx.api(t, forum.Guest, c.method, c.path, "")
		wantCode(t, rec, http.StatusMethodNotAllowed)
		if got := rec.Header().Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
	}
}

// A field of the wrong type is named with the JSON it must be, pointers and all.
func TestAPIBodyTypeErrorsNameJSONTypes(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		`{"body":"b","in_reply_to":"39"}`: `body: field "in_reply_to" must be an integer`,
		`{"body":["b"]}`:                  `body: field "body" must be a string`,
		`[{"body":"b"}]`:                  `body: must be a JSON object`,
	} {
		r := httptest.NewRequest("POST", "/api/v1/threads/1/posts", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var in apiNewPost
		err := readJSON(httptest.NewRecorder(), r, &in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
}

// The API says when a post or a thread is hidden, or a thread deleted: staff (and a hidden post's
// author) read them with their content, and need to know they are not what others see.
func TestAPISaysWhatIsHiddenOrDeleted(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	mod := fx.mod.Viewer()
	th, _ := fx.thread(t, fx.alice, "Open", "hello")
	reply := fx.reply(t, fx.bob, th.ID, "rude words")
	if err := fx.f.HidePost(fx.ctx, mod, reply.ID, true, "rude"); err != nil {
		t.Fatal(err)
	}
	postIn := func(v forum.Viewer) map[string]any {
		t.Helper()
		body := decode(t, fx.api(t, v, "GET", "/api/v1/threads/"+itoa(th.ID), "")).(map[string]any)
		return body["posts"].([]any)[1].(map[string]any)
	}
	for name, v := range map[string]forum.Viewer{"moderator": mod, "author": fx.bob.Viewer()} {
		p := postIn(v)
		if p["hidden"] != true || p["deleted"] != false || !strings.Contains(p["body_html"].(string), "rude words") {
			t.Errorf("%s reads the hidden post as %v", name, p)
		}
		if got := decode(t, fx.api(t, v, "GET", "/api/v1/posts/"+itoa(reply.ID), "")).(map[string]any); got["hidden"] != true {
			t.Errorf("%s: GET /api/v1/posts: %v", name, got)
		}
	}
	// Others see that it is there and hidden, as the thread page tells them, but not its body.
	for name, v := range map[string]forum.Viewer{"guest": forum.Guest, "member": fx.alice.Viewer()} {
		if p := postIn(v); p["hidden"] != true || p["body_html"] != "" {
			t.Errorf("%s reads the hidden post as %v", name, p)
		}
	}
	if p := decode(t, fx.api(t, mod, "GET", "/api/v1/threads/"+itoa(th.ID), "")).(map[string]any)["posts"].([]any)[0].(map[string]any); p["hidden"] != false {
		t.Errorf("a visible post: %v", p)
	}

	hidden, _ := fx.thread(t, fx.alice, "Hidden", "b")
	if err := fx.f.HideThread(fx.ctx, mod, hidden.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.LockThread(fx.ctx, mod, hidden.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	got := decode(t, fx.api(t, mod, "GET", "/api/v1/threads/"+itoa(hidden.ID), "")).(map[string]any)
	if got["hidden"] != true || got["locked"] != true || got["deleted"] != false {
		t.Errorf("a hidden, locked thread as staff read it: %v", got)
	}
	wantAPIError(t, fx.api(t, forum.Guest, "GET", "/api/v1/threads/"+itoa(hidden.ID), ""), http.StatusNotFound, "not_found")

	deleted, opener := fx.thread(t, fx.alice, "Deleted", "b")
	if err := fx.f.DeletePost(fx.ctx, fx.alice.Viewer(), opener.ID, ""); err != nil {
		t.Fatal(err)
	}
	got = decode(t, fx.api(t, mod, "GET", "/api/v1/threads/"+itoa(deleted.ID), "")).(map[string]any)
	if got["deleted"] != true || got["hidden"] != false {
		t.Errorf("a deleted thread as staff read it: %v", got)
	}
	wantAPIError(t, fx.api(t, forum.Guest, "GET", "/api/v1/threads/"+itoa(deleted.ID), ""), http.StatusGone, "gone")

	open := decode(t, fx.api(t, forum.Guest, "GET", "/api/v1/threads/"+itoa(th.ID), "")).(map[string]any)
	if open["hidden"] != false || open["deleted"] != false || open["locked"] != false {
		t.Errorf("an open thread: %v", open)
	}
}

// A category guests may not see is not published, so neither it nor its threads have an actor
// another server could follow: the API gave staff a thread "follow" handle and a category ap_id
// that led other servers to 404s.
func TestAPIOffersNoFederationIdentityForWhatIsNotPublished(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	mods := fx.staffCategory(t, "mods")
	staffThread, _, err := fx.f.CreateThread(fx.ctx, fx.mod.Viewer(), forum.NewThread{CategoryID: mods.ID, Title: "Staff only", Body: "b"})
	if err != nil {
		t.Fatal(err)
	}
	public, _ := fx.thread(t, fx.alice, "Public", "hello")
	follow := func(id int64) any {
		return decode(t, fx.api(t, fx.mod.Viewer(), "GET", "/api/v1/threads/"+itoa(id), "")).(map[string]any)["follow"]
	}
	if f := follow(staffThread.ID); f != nil {
		t.Errorf("the staff-only thread offers %v to follow", f)
	}
	if f := follow(public.ID); f == nil {
		t.Error("the public thread offers nothing to follow")
	}
	for _, c := range decode(t, fx.api(t, fx.mod.Viewer(), "GET", "/api/v1/categories", "")).([]any) {
		cat := c.(map[string]any)
		if want := cat["slug"] != "mods"; (cat["ap_id"] != "") != want {
			t.Errorf("category %v: ap_id %q", cat["slug"], cat["ap_id"])
		}
	}
}

// A post the caller may not read (hidden, or deleted) gives no likes either, as its page shows
// none: the API gave its count, and its liker's "liked".
func TestAPIGivesNoLikesOfAPostTheCallerCannotRead(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, _ := fx.thread(t, fx.alice, "Liked then hidden", "opener")
	reply := fx.reply(t, fx.alice, th.ID, "a reply bob likes")
	if _, err := fx.f.LikePost(fx.ctx, fx.bob.Viewer(), reply.ID); err != nil {
		t.Fatal(err)
	}
	if err := fx.f.HidePost(fx.ctx, fx.mod.Viewer(), reply.ID, true, "off topic"); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]forum.Viewer{"a guest": forum.Guest, "its liker": fx.bob.Viewer()} {
		p := decode(t, fx.api(t, v, "GET", "/api/v1/posts/"+itoa(reply.ID), "")).(map[string]any)
		if p["like_count"] != 0.0 || p["liked"] == true {
			t.Errorf("%s reads the hidden post's likes: %v, liked %v", name, p["like_count"], p["liked"])
		}
	}
	p := decode(t, fx.api(t, fx.mod.Viewer(), "GET", "/api/v1/posts/"+itoa(reply.ID), "")).(map[string]any)
	if p["like_count"] != 1.0 {
		t.Errorf("a moderator, who reads the hidden post, reads %v likes, want 1", p["like_count"])
	}
}

// Bytes that are not text in the address, a query value or a title are 400 invalid_text, whatever
// the parameter (docs/API.md): each met them its own way, a title's NUL was silently dropped.
func TestAPIRefusesBytesThatAreNotTextAlike(t *testing.T) {
	t.Parallel()
	fx := newWebFixture(t)
	th, opener := fx.thread(t, fx.alice, "Text only", "hello")
	for _, path := range []string{
		"/api/v1/search?q=hello&author=%ff",
		"/api/v1/categories/gen%ff/threads",
		"/api/v1/categories/gen%00/threads",
		"/api/v1/threads/" + itoa(th.ID) + "?cursor=%00",
		"/api/v1/latest?cursor=%ff",
	} {
		wantAPIError(t, fx.api(t, fx.alice.Viewer(), "GET", path, ""), http.StatusBadRequest, "invalid_text")
	}
	wantAPIError(t, fx.api(t, fx.alice.Viewer(), "POST", "/api/v1/categories/general/threads", `{"title":"a\u0000b","body":"x"}`),
		http.StatusBadRequest, "invalid_text")
	title := "a\x00b"
	if _, err := fx.f.EditPost(fx.ctx, fx.alice.Viewer(), opener.ID, forum.PostEdit{Body: "x", Title: &title}); !forum.NotText(err) {
		t.Errorf("a title edited to hold a NUL: %v, want not text", err)
	}
}
