package federation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Limits on inbound JSON (SECURITY.md rule 16). Real activities nest about 6 deep (Announce of a
// Create of a Note with tags); addressing lists hold collection ids, not expanded followers.
const (
	MaxJSONDepth     = 32
	MaxAddressees    = 1000 // per to/cc/bto/bcc/audience list
	MaxTags          = 200
	MaxAttachments   = 50
	MaxObjectsInList = 100 // an activity's object array (a Flag reports an account and its posts)
)

// ErrMalformed is wrapped by every decoding error: the input is not a usable ActivityStreams
// document. Inboxes answer it with 400; it is never used for a well-formed document of a type
// Stoa does not handle (see Activity.Supported).
var ErrMalformed = errors.New("malformed ActivityStreams document")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// checkJSONDepth refuses JSON nested deeper than MaxJSONDepth before it is unmarshalled, so a
// hostile document of a million '[' cannot make decoding recurse. It scans bytes, skipping strings;
// it does not validate (json.Unmarshal does).
func checkJSONDepth(b []byte) error {
	depth, inString := 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > MaxJSONDepth {
				return malformed("JSON nested deeper than %d levels", MaxJSONDepth)
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

// decodeJSON checks depth, then unmarshals.
func decodeJSON(b []byte, v any) error {
	if err := checkJSONDepth(b); err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return malformed("%v", err)
	}
	return nil
}

// isNull reports whether a raw value is absent or JSON null.
func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// rawList reads a value that may be a single item or an array of items (ActivityStreams allows
// both for every non-functional property; GoToSocial sends single tags and addressees unwrapped).
func rawList(raw json.RawMessage, field string, limit int) ([]json.RawMessage, error) {
	if isNull(raw) {
		return nil, nil
	}
	t := bytes.TrimSpace(raw)
	if t[0] != '[' {
		return []json.RawMessage{t}, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(t, &items); err != nil {
		return nil, malformed("%s: %v", field, err)
	}
	if len(items) > limit {
		return nil, malformed("%s lists %d items, more than %d", field, len(items), limit)
	}
	out := items[:0]
	for _, it := range items {
		if !isNull(it) {
			out = append(out, it)
		}
	}
	return out, nil
}

// ref is an IRI, or an embedded object with its id and type; Raw is the object (nil for a bare IRI).
type ref struct {
	ID   string
	Type string
	Raw  json.RawMessage
}

// typeAndID is the part of any embedded object read to identify it.
type typeAndID struct {
	ID   string          `json:"id"`
	Type json.RawMessage `json:"type"`
	Href string          `json:"href"` // Link objects name their target with href
}

// parseRef reads an IRI string or an object with an id (Link objects: href).
func parseRef(raw json.RawMessage, field string) (ref, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return ref{}, nil
	}
	switch t[0] {
	case '"':
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return ref{}, malformed("%s: %v", field, err)
		}
		return ref{ID: s}, nil
	case '{':
		var o typeAndID
		if err := json.Unmarshal(t, &o); err != nil {
			return ref{}, malformed("%s: %v", field, err)
		}
		typ, err := firstType(o.Type)
		if err != nil {
			return ref{}, malformed("%s.type: %v", field, err)
		}
		id := o.ID
		if id == "" && o.Href != "" && (typ == "Link" || typ == "") {
			id = o.Href
		}
		return ref{ID: id, Type: typ, Raw: t}, nil
	}
	return ref{}, malformed("%s must be an IRI or an object", field)
}

// refList reads a property holding one or many IRIs or objects.
func refList(raw json.RawMessage, field string, limit int) ([]ref, error) {
	items, err := rawList(raw, field, limit)
	if err != nil {
		return nil, err
	}
	out := make([]ref, 0, len(items))
	for _, it := range items {
		r, err := parseRef(it, field)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// iriList reads an addressing property (to, cc, audience): IRIs, or objects with ids.
func iriList(raw json.RawMessage, field string) ([]string, error) {
	refs, err := refList(raw, field, MaxAddressees)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		if r.ID != "" {
			out = append(out, r.ID)
		}
	}
	return out, nil
}

// singleIRI reads a property that should name one thing; an array yields its first element.
func singleIRI(raw json.RawMessage, field string) (string, error) {
	refs, err := refList(raw, field, MaxObjectsInList)
	if err != nil || len(refs) == 0 {
		return "", err
	}
	return refs[0].ID, nil
}

// firstType reads "type" as a string or an array of strings (JSON-LD allows several), returning
// the first one Stoa knows, else the first one.
func firstType(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return one, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return "", errors.New("type must be a string or an array of strings")
	}
	for _, t := range many {
		if knownTypes[t] {
			return t, nil
		}
	}
	if len(many) > 0 {
		return many[0], nil
	}
	return "", nil
}

// langString reads a natural-language property: the plain value, else the language map's value
// for "und", "en" or the first language in sorted order (deterministic).
func langString(plain string, langMap map[string]string) string {
	if plain != "" || len(langMap) == 0 {
		return plain
	}
	for _, l := range []string{"und", "en"} {
		if v, ok := langMap[l]; ok {
			return v
		}
	}
	keys := make([]string, 0, len(langMap))
	for k := range langMap {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return langMap[keys[0]]
}

// optionalBool reads a boolean that peers send as true/false, "true"/"false" or null.
func optionalBool(raw json.RawMessage) bool {
	t := strings.TrimSpace(string(raw))
	return t == "true" || t == `"true"`
}
