package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stoa-forum/stoa/forum"
)

// The JSON API's shapes and its reading and writing helpers (docs/API.md documents both).

// maxJSONBytes caps an API request body: a post of MaxBodyLen four-byte characters fits.
const maxJSONBytes = 4*forum.MaxBodyLen + 1<<10

type apiCategory struct {
	Slug        string `json:"slug"`
	Title       string `json:"title"`
	Description string `json:"description"`
	APID        string `json:"ap_id"`
	Handle      string `json:"handle"`
}

type apiAuthor struct {
	Handle string `json:"handle"`
	APID   string `json:"ap_id"`
	Local  bool   `json:"local"`
	// Name is the display name (else the username); AvatarURL is absolute, or "" for none.
	Name      string `json:"name"`
	AvatarURL string `json:"avatar_url"`
	// URL is the author's profile: their page here for members, on their own server for others;
	// Page is their page on this forum either way.
	URL  string `json:"url"`
	Page string `json:"page"`
}

type apiFollow struct {
	Handle string `json:"handle"`
	APID   string `json:"ap_id"`
}

type apiThread struct {
	ID         int64     `json:"id"`
	Title      string    `json:"title"`
	URL        string    `json:"url"`
	APID       string    `json:"ap_id"`
	Category   string    `json:"category"`
	Author     apiAuthor `json:"author"`
	CreatedAt  time.Time `json:"created_at"`
	LastPostAt time.Time `json:"last_post_at"`
	PostCount  int       `json:"post_count"`
	Locked     bool      `json:"locked"`
	Pinned     bool      `json:"pinned"`
	// Hidden and Deleted say why the thread is out of sight for others; only staff are shown
	// such a thread, so only they ever read true here.
	Hidden  bool       `json:"hidden"`
	Deleted bool       `json:"deleted"`
	Follow  *apiFollow `json:"follow"`
	// Local is false for a thread that lives on another server (in a remote category's mirror).
	Local bool `json:"local"`
}

type apiPost struct {
	ID        int64      `json:"id"`
	APID      string     `json:"ap_id"`
	URL       string     `json:"url"`
	Author    apiAuthor  `json:"author"`
	BodyHTML  string     `json:"body_html"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt *time.Time `json:"updated_at"`
	LikeCount int        `json:"like_count"`
	Liked     bool       `json:"liked"`
	InReplyTo *int64     `json:"in_reply_to"`
	Position  int        `json:"position"`
	Deleted   bool       `json:"deleted"`
	// Hidden is true for a post staff hid, for every viewer: the thread page tells everyone a
	// hidden post is there (its body is "" but to staff and its author).
	Hidden bool `json:"hidden"`
	// OriginURL is where a post from another server is shown there; null for local posts.
	OriginURL *string `json:"origin_url"`
	// Withheld is true for a post of a server this forum limits, which the reader may not see:
	// its body, its ap_id, its origin and every field of its author are empty.
	Withheld bool `json:"withheld"`
}

type apiThreadList struct {
	Threads    []apiThread `json:"threads"`
	NextCursor *string     `json:"next_cursor"`
}

type apiThreadWithPosts struct {
	apiThread
	Posts      []apiPost `json:"posts"`
	NextCursor *string   `json:"next_cursor"`
}

func (s *Server) apiAuthorOf(a forum.Author) apiAuthor {
	if a.AuthorWithheld {
		return apiAuthor{}
	}
	out := apiAuthor{Handle: s.fullHandle(a.AuthorUsername, a.AuthorDomain), APID: s.authorAPID(a), Local: a.AuthorLocal(),
		Name: a.AuthorName(), AvatarURL: safeAvatar(a.AuthorAvatarURL), Page: s.abs(authorPagePath(a))}
	if strings.HasPrefix(out.AvatarURL, "/") {
		out.AvatarURL = s.abs(out.AvatarURL)
	}
	out.URL = out.Page
	if !a.AuthorLocal() {
		out.URL = profilePath(a)
	}
	return out
}

func (s *Server) apiThreadOf(ctx context.Context, t forum.Thread, a forum.Author, categoryHandle string) apiThread {
	out := apiThread{ID: t.ID, Title: t.Title, URL: s.abs(threadPath(t.ID)), APID: s.threadAPID(t), Category: categoryHandle,
		Author: s.apiAuthorOf(a), CreatedAt: t.CreatedAt.UTC(), LastPostAt: t.LastPostAt.UTC(), PostCount: t.PostCount,
		Locked: t.Locked(), Pinned: t.Pinned(), Hidden: t.HiddenAt != nil, Deleted: t.DeletedAt != nil, Local: t.APID == ""}
	if handle, apID, ok := s.threadFollow(ctx, t); ok {
		out.Follow = &apiFollow{Handle: handle, APID: apID}
	}
	return out
}

func (s *Server) apiPostOf(p forum.Post) apiPost {
	out := apiPost{ID: p.ID, APID: s.postAPID(p), URL: s.abs(postPath(p.ID)), Author: s.apiAuthorOf(p.Author),
		BodyHTML: p.HTML, CreatedAt: p.CreatedAt.UTC(), UpdatedAt: utcOrNil(p.EditedAt), LikeCount: p.LikeCount, Liked: p.Liked,
		InReplyTo: p.InReplyToID, Position: p.Position, Deleted: p.Deleted(), Hidden: p.Hidden()}
	if p.Redacted {
		// Whoever may not read the post does not see its likes either, as on its page.
		out.LikeCount, out.Liked = 0, false
	}
	if origin := postOrigin(p); origin != "" {
		out.OriginURL = &origin
	}
	if p.Withheld != forum.LimitNone {
		out.APID, out.Withheld = "", true // its id names the server
	}
	return out
}

// utcOrNil is t in UTC, nil for nil. The API promises UTC times (docs/API.md), but pgx scans a
// timestamptz in the process's local zone, and a time marshals in its own zone: a host with TZ set
// would otherwise give "-05:00" offsets.
func utcOrNil(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func nextCursor(c string) *string {
	if c == "" {
		return nil
	}
	return &c
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// readJSON decodes a request body into v: application/json only, at most maxJSONBytes, one
// object with no fields v does not have. Every refusal is a ValidationError (422) that says what
// was wrong, except a body over the cap (413).
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return forum.Invalid("content_type", "must be application/json")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return forum.Invalid("content_type", "must be UTF-8 (JSON is)")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fmt.Errorf("read body: %w", err)
		}
		return forum.Invalid("body", "could not be read")
	}
	if !utf8.Valid(body) || loneSurrogate(body) {
		return fmt.Errorf("request body: %w", forum.ErrNotText)
	}
	if err := checkObjectKeys(body, v); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return forum.Invalid("body", "%s", describeJSONError(err))
	}
	if dec.More() {
		return forum.Invalid("body", "must hold a single JSON object")
	}
	return nil
}

func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("is not valid JSON (at byte %d)", syn.Offset)
	case errors.As(err, &typ) && typ.Field == "":
		// The body as a whole has the wrong type (an array, a string, ...).
		return "must be a JSON object"
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q must be %s", typ.Field, jsonTypeName(typ.Type))
	case errors.Is(err, io.EOF):
		return "is empty"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "has an unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "is not valid JSON"
}

// jsonTypeName names the JSON a Go type is decoded from, with its article: a client should read
// "a string", never the Go type's name (which would also show the server's internals).
func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}
