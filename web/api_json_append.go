package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"
)

// The API's thread and post shapes (api_json.go) appended as JSON by hand. encoding/json finds
// each field by reflection on every call, which was most of the JSON thread endpoint's rendering
// time; these write the same bytes as json.NewEncoder(w).Encode of the same value: fields in
// declaration order under their tag names, nothing omitted, nil pointers as null, strings escaped
// as encoding/json escapes them (HTML-safe), times as time.Time.MarshalJSON writes them, and a
// final newline. api_json_append_test.go compares the two byte for byte, so a field added to a
// struct without its appender fails there.

// writeJSONAppended answers with the JSON appendJSON writes, as writeJSON would with the value. A
// value encoding/json would refuse (a time outside years 0-9999) is a 500 rather than the empty
// body writeJSON's encoder would leave after the status was sent.
func (s *Server) writeJSONAppended(w http.ResponseWriter, r *http.Request, status int, appendJSON func([]byte) ([]byte, error)) {
	bp := getBytes()
	defer putBytes(bp)
	b, err := appendJSON((*bp)[:0])
	if err == nil {
		b = append(b, '\n')
	}
	*bp = b
	if err != nil {
		s.fail(w, r, fmt.Errorf("encode JSON: %w", err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(b))) // not chunked, as a rendered page (render.go)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (a apiAuthor) appendJSON(b []byte) []byte {
	b = append(b, `{"handle":`...)
	b = appendJSONString(b, a.Handle)
	b = append(b, `,"ap_id":`...)
	b = appendJSONString(b, a.APID)
	b = append(b, `,"local":`...)
	b = strconv.AppendBool(b, a.Local)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, a.Name)
	b = append(b, `,"avatar_url":`...)
	b = appendJSONString(b, a.AvatarURL)
	b = append(b, `,"url":`...)
	b = appendJSONString(b, a.URL)
	b = append(b, `,"page":`...)
	b = appendJSONString(b, a.Page)
	return append(b, '}')
}

// appendFields appends the thread's fields without the closing brace, so apiThreadWithPosts can
// add its own after them as encoding/json does for an embedded struct.
func (t apiThread) appendFields(b []byte) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, t.ID, 10)
	b = append(b, `,"title":`...)
	b = appendJSONString(b, t.Title)
	b = append(b, `,"url":`...)
	b = appendJSONString(b, t.URL)
	b = append(b, `,"ap_id":`...)
	b = appendJSONString(b, t.APID)
	b = append(b, `,"category":`...)
	b = appendJSONString(b, t.Category)
	b = append(b, `,"author":`...)
	b = t.Author.appendJSON(b)
	b = append(b, `,"created_at":`...)
	b, err := appendJSONTime(b, t.CreatedAt)
	if err != nil {
		return b, err
	}
	b = append(b, `,"last_post_at":`...)
	if b, err = appendJSONTime(b, t.LastPostAt); err != nil {
		return b, err
	}
	b = append(b, `,"post_count":`...)
	b = strconv.AppendInt(b, int64(t.PostCount), 10)
	b = append(b, `,"locked":`...)
	b = strconv.AppendBool(b, t.Locked)
	b = append(b, `,"pinned":`...)
	b = strconv.AppendBool(b, t.Pinned)
	b = append(b, `,"hidden":`...)
	b = strconv.AppendBool(b, t.Hidden)
	b = append(b, `,"deleted":`...)
	b = strconv.AppendBool(b, t.Deleted)
	b = append(b, `,"follow":`...)
	if t.Follow == nil {
		b = append(b, `null`...)
	} else {
		b = append(b, `{"handle":`...)
		b = appendJSONString(b, t.Follow.Handle)
		b = append(b, `,"ap_id":`...)
		b = appendJSONString(b, t.Follow.APID)
		b = append(b, '}')
	}
	b = append(b, `,"local":`...)
	return strconv.AppendBool(b, t.Local), nil
}

func (t apiThread) appendJSON(b []byte) ([]byte, error) {
	b, err := t.appendFields(b)
	return append(b, '}'), err
}

func (p apiPost) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, p.ID, 10)
	b = append(b, `,"ap_id":`...)
	b = appendJSONString(b, p.APID)
	b = append(b, `,"url":`...)
	b = appendJSONString(b, p.URL)
	b = append(b, `,"author":`...)
	b = p.Author.appendJSON(b)
	b = append(b, `,"body_html":`...)
	b = appendJSONString(b, p.BodyHTML)
	b = append(b, `,"created_at":`...)
	b, err := appendJSONTime(b, p.CreatedAt)
	if err != nil {
		return b, err
	}
	b = append(b, `,"updated_at":`...)
	if p.UpdatedAt == nil {
		b = append(b, `null`...)
	} else if b, err = appendJSONTime(b, *p.UpdatedAt); err != nil {
		return b, err
	}
	b = append(b, `,"like_count":`...)
	b = strconv.AppendInt(b, int64(p.LikeCount), 10)
	b = append(b, `,"liked":`...)
	b = strconv.AppendBool(b, p.Liked)
	b = append(b, `,"in_reply_to":`...)
	if p.InReplyTo == nil {
		b = append(b, `null`...)
	} else {
		b = strconv.AppendInt(b, *p.InReplyTo, 10)
	}
	b = append(b, `,"position":`...)
	b = strconv.AppendInt(b, int64(p.Position), 10)
	b = append(b, `,"deleted":`...)
	b = strconv.AppendBool(b, p.Deleted)
	b = append(b, `,"hidden":`...)
	b = strconv.AppendBool(b, p.Hidden)
	b = append(b, `,"origin_url":`...)
	b = appendJSONOptionalString(b, p.OriginURL)
	b = append(b, `,"withheld":`...)
	b = strconv.AppendBool(b, p.Withheld)
	return append(b, '}'), nil
}

func (t apiThreadWithPosts) appendJSON(b []byte) ([]byte, error) {
	b, err := t.apiThread.appendFields(b)
	if err != nil {
		return b, err
	}
	b = append(b, `,"posts":`...)
	if t.Posts == nil {
		b = append(b, `null`...)
	} else {
		b = append(b, '[')
		for i, p := range t.Posts {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = p.appendJSON(b); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"next_cursor":`...)
	b = appendJSONOptionalString(b, t.NextCursor)
	return append(b, '}'), nil
}

func (l apiThreadList) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"threads":`...)
	if l.Threads == nil {
		b = append(b, `null`...)
	} else {
		b = append(b, '[')
		for i, t := range l.Threads {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = t.appendJSON(b); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"next_cursor":`...)
	b = appendJSONOptionalString(b, l.NextCursor)
	return append(b, '}'), nil
}

func appendJSONOptionalString(b []byte, s *string) []byte {
	if s == nil {
		return append(b, `null`...)
	}
	return appendJSONString(b, *s)
}

// appendJSONTime appends t as time.Time.MarshalJSON writes it: RFC 3339 with nanoseconds in the
// time's own zone, refused for years outside 0-9999 (AppendText applies the same checks).
func appendJSONTime(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	b, err := t.AppendText(b)
	if err != nil {
		return b, fmt.Errorf("time %v: %w", t, err)
	}
	return append(b, '"'), nil
}

const jsonHex = "0123456789abcdef"

// jsonSafe marks the ASCII bytes a JSON string holds as they are (encoding/json's htmlSafeSet):
// a table, because post bodies are long and this test runs for every byte of them.
var jsonSafe = func() (safe [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		safe[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return safe
}()

// appendJSONString appends s quoted as encoding/json writes strings with HTML escaping on (its
// default): ", \ and the control characters escaped (\b, \f, \n, \r, \t by name, the rest as
// \u00XX), <, > and & as \u003c, \u003e and \u0026, U+2028 and U+2029 as \u2028 and \u2029, and
// each byte of invalid UTF-8 as \ufffd.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', jsonHex[c>>4], jsonHex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', jsonHex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
