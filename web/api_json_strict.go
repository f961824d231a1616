package web

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"

	"github.com/stoa-forum/stoa/forum"
)

// checkObjectKeys refuses what encoding/json lets through into v: a field given twice (it keeps
// the last, silently) and a field whose name matches v's only when case is ignored ({"BODY": ...}
// filled Body). The API's bodies are documented field by field, and a client that spells one
// otherwise should hear so, not have it taken by a guess. Only the top-level object's keys are
// checked; anything that is not an object is left for the decoder to refuse.
func checkObjectKeys(body []byte, v any) error {
	known := jsonFieldNames(reflect.TypeOf(v))
	if known == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, _ := tok.(string)
		switch {
		case seen[key]:
			return forum.Invalid("body", "has the field %q twice", key)
		case !known[key]:
			return forum.Invalid("body", "has an unknown field %q (field names are exact, in lower case)", key)
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil
		}
	}
	return nil
}

// jsonFieldNames are the JSON names of the fields of the struct t points to, nil if it is not one.
func jsonFieldNames(t reflect.Type) map[string]bool {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	names := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			if f.Anonymous {
				for n := range jsonFieldNames(f.Type) {
					names[n] = true
				}
				continue
			}
			name = f.Name
		}
		names[name] = true
	}
	return names
}

// loneSurrogate reports whether a JSON text escapes half of a UTF-16 surrogate pair alone
// ("\ud800" not followed by a low half, or a low half alone), which the decoder silently turns
// into U+FFFD: the text the client sent is not what would be stored.
func loneSurrogate(body []byte) bool {
	for i := 0; i+6 <= len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		if body[i+1] != 'u' {
			i++ // an escaped character: skip it, so "\\ud800" (a backslash, then text) is not read as an escape
			continue
		}
		switch u := hex4(body[i+2 : i+6]); {
		case u >= 0xD800 && u <= 0xDBFF:
			if i+12 > len(body) || body[i+6] != '\\' || body[i+7] != 'u' {
				return true
			}
			if low := hex4(body[i+8 : i+12]); low < 0xDC00 || low > 0xDFFF {
				return true
			}
			i += 11
		case u >= 0xDC00 && u <= 0xDFFF:
			return true
		default:
			i += 5
		}
	}
	return false
}

// hex4 reads four hex digits, -1 if they are not.
func hex4(b []byte) int {
	n := 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			n = n*16 + int(c-'0')
		case c >= 'a' && c <= 'f':
			n = n*16 + int(c-'a'+10)
		case c >= 'A' && c <= 'F':
			n = n*16 + int(c-'A'+10)
		default:
			return -1
		}
	}
	return n
}
