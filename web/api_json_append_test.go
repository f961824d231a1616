package web

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// jsonTrickyStrings are strings whose JSON encoding is easy to get wrong: HTML characters, quotes
// and backslashes, every control character, DEL, U+2028 and U+2029, other non-ASCII text, and
// invalid UTF-8.
func jsonTrickyStrings() []string {
	var controls strings.Builder
	for c := range 0x20 {
		controls.WriteByte(byte(c))
	}
	return []string{
		"", "plain", `<script>alert("x")</script> & 'y'`, `back\slash "quoted" \u0041`, controls.String(), "del \x7f end",
		"line\u2028separator\u2029paragraph", "Ünïcødé — ‘quotes’ ♥ 日本語 🎉 \u00a0\ufeff", "\xff\xfe bad \xc3 utf-8 \xe2\x80",
		"\xe2\x80\xa8 raw U+2028 bytes", "tab\there\r\nnew line \b \f", "https://x.example/a?b=1&c=<2>#d",
	}
}

// encodeReference is what writeJSON writes for v.
func encodeReference(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The appended JSON is byte for byte what encoding/json writes (writeJSON's encoder, with its final
// newline), and decodes to the same value, for threads and posts with every field set and unset
// and strings of every awkward kind.
func TestAppendedJSONMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	cursor, origin := "31", "https://lemmy.example/post/1?a=1&b=<2>"
	parent := int64(-9)
	edited := time.Date(2026, 11, 23, 9, 30, 1, 123456789, time.UTC)
	zones := []time.Time{
		time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC),
		time.Date(2020, 1, 2, 3, 4, 5, 120000000, time.FixedZone("x", -(3*3600+30*60))),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.FixedZone("y", 14*3600)),
		time.Date(2026, 6, 7, 8, 9, 10, 999999999, time.Local),
	}
	var posts []apiPost
	var threads []apiThread
	for i, s := range jsonTrickyStrings() {
		at := zones[i%len(zones)]
		a := apiAuthor{Handle: s, APID: s + "a", Local: i%2 == 0, Name: s, AvatarURL: s, URL: s, Page: s}
		p := apiPost{ID: int64(i) * 1e15, APID: s, URL: s, Author: a, BodyHTML: "<p>" + s + "</p>", CreatedAt: at,
			LikeCount: i - 3, Liked: i%3 == 0, Position: i, Deleted: i%4 == 0, Hidden: i%3 == 1}
		if i%2 == 1 {
			p.UpdatedAt, p.InReplyTo, p.OriginURL = &edited, &parent, &origin
		}
		posts = append(posts, p)
		th := apiThread{ID: int64(i), Title: s, URL: s, APID: s, Category: s, Author: a, CreatedAt: at, LastPostAt: edited,
			PostCount: i, Locked: i%2 == 0, Pinned: i%3 == 0, Hidden: i%3 == 1, Deleted: i%4 == 1, Local: i%2 == 1}
		if i%2 == 0 {
			th.Follow = &apiFollow{Handle: s, APID: s}
		}
		threads = append(threads, th)
	}
	values := map[string]interface {
		appendJSON([]byte) ([]byte, error)
	}{
		"thread with posts": apiThreadWithPosts{apiThread: threads[2], Posts: posts, NextCursor: &cursor},
		"thread, no posts":  apiThreadWithPosts{apiThread: threads[3], Posts: []apiPost{}},
		"thread, nil posts": apiThreadWithPosts{apiThread: threads[4]},
		"thread list":       apiThreadList{Threads: threads, NextCursor: &cursor},
		"empty thread list": apiThreadList{Threads: []apiThread{}},
		"nil thread list":   apiThreadList{},
	}
	for _, p := range posts {
		values["post "+itoa(p.ID)] = p
	}
	for _, th := range threads {
		values["thread "+itoa(th.ID)] = th
	}
	for name, v := range values {
		want := encodeReference(t, v)
		got, err := v.appendJSON(nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got = append(got, '\n')
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\nwant %s\ngot  %s", name, want, got)
			continue
		}
		var wantAny, gotAny any
		if err := json.Unmarshal(want, &wantAny); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := json.Unmarshal(got, &gotAny); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(gotAny, wantAny) {
			t.Errorf("%s decodes to\n%v\nwant\n%v", name, gotAny, wantAny)
		}
	}
}

// Each string on its own, so a difference is reported with the string that caused it.
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	strs := jsonTrickyStrings()
	for c := range 0x80 {
		strs = append(strs, string(rune(c)))
	}
	// And strings put together at random from awkward pieces (a fixed seed, so a failure repeats).
	pieces := []string{"a", " ", "<", ">", "&", `"`, `\`, "\n", "\x00", "\x1f", "\x7f", "é", "\u2028", "\u2029", "🎉",
		"\xff", "\xe2\x80", "\xc3", "\u2027", "\u202a"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		var sb strings.Builder
		for range rng.IntN(12) {
			sb.WriteString(pieces[rng.IntN(len(pieces))])
		}
		strs = append(strs, sb.String())
	}
	for _, s := range strs {
		want := bytes.TrimSuffix(encodeReference(t, s), []byte("\n"))
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("%q: want %s, got %s", s, want, got)
		}
	}
}

// A time encoding/json refuses is refused, not written as something else.
func TestAppendedJSONRefusesTimesEncodingJSONRefuses(t *testing.T) {
	t.Parallel()
	bad := apiPost{CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := json.Marshal(bad); err == nil {
		t.Fatal("encoding/json accepted the year 10000")
	}
	if _, err := bad.appendJSON(nil); err == nil {
		t.Error("the appender accepted the year 10000")
	}
}
