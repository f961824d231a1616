package federation

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// The ActivityStreams media types (ActivityPub §3.2).
const (
	ActivityJSON = "application/activity+json"
	// LDJSONActivityStreams is the JSON-LD form with the ActivityStreams profile, exactly as
	// peers send it in Accept and Content-Type.
	LDJSONActivityStreams = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
	activityStreamsNS     = "https://www.w3.org/ns/activitystreams"
	// AcceptActivityStreams is the Accept header of every fetch Stoa makes.
	AcceptActivityStreams = LDJSONActivityStreams + ", " + ActivityJSON
)

// IsActivityStreams reports whether a Content-Type names an ActivityStreams document (SECURITY.md
// rule 12): application/activity+json (any parameters), or application/ld+json whose profile
// parameter lists the ActivityStreams namespace. A profile on any other type does not count, and
// the value is parsed, not searched: "text/html; x=application/activity+json" is not a match.
func IsActivityStreams(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch mt {
	case ActivityJSON:
		return true
	case "application/ld+json":
		return hasASProfile(params["profile"])
	}
	return false
}

// hasASProfile reports whether a profile parameter (a space-separated list of URIs) names the
// ActivityStreams vocabulary.
func hasASProfile(profile string) bool {
	for _, p := range strings.Fields(profile) {
		if p == activityStreamsNS {
			return true
		}
	}
	return false
}

// mediaRange is one element of an Accept header.
type mediaRange struct {
	typ, sub string
	params   map[string]string
	q        float64
}

// maxAcceptRanges bounds the work a hostile Accept header can cause.
const maxAcceptRanges = 32

// parseAccept parses an Accept header (RFC 9110 §12.5.1) into its media ranges, skipping elements
// that do not parse rather than rejecting the header (browsers and peers send odd ones). Quoted
// strings may contain commas, so the header is split with a small scanner, not strings.Split.
func parseAccept(header string) []mediaRange {
	var out []mediaRange
	for _, elem := range splitOutsideQuotes(header, ',') {
		if len(out) == maxAcceptRanges {
			break
		}
		elem = strings.TrimSpace(elem)
		if elem == "" {
			continue
		}
		mt, params, err := mime.ParseMediaType(elem)
		if err != nil {
			continue
		}
		typ, sub, ok := strings.Cut(mt, "/")
		if !ok || typ == "" || sub == "" || (typ == "*" && sub != "*") {
			continue
		}
		q := 1.0
		if qs, ok := params["q"]; ok {
			v, err := parseQValue(qs)
			if err != nil {
				continue
			}
			q = v
			delete(params, "q")
		}
		out = append(out, mediaRange{typ: typ, sub: sub, params: params, q: q})
	}
	return out
}

// parseQValue accepts the qvalue grammar: 0, 1 or a decimal with up to three digits, in [0, 1].
func parseQValue(s string) (float64, error) {
	if len(s) == 0 || len(s) > 5 {
		return 0, strconv.ErrSyntax
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v > 1 || (s[0] != '0' && s[0] != '1') {
		return 0, strconv.ErrSyntax
	}
	return v, nil
}

// splitOutsideQuotes splits s at sep, except inside double-quoted strings (with \-escapes).
func splitOutsideQuotes(s string, sep byte) []string {
	var parts []string
	start, inQuote := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == sep:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// representation is something Stoa can answer with, for content negotiation.
type representation struct {
	typ, sub  string
	asProfile bool // application/ld+json needs the AS profile to match a range that names one
}

var (
	reprHTML     = representation{typ: "text", sub: "html"}
	reprActivity = representation{typ: "application", sub: "activity+json"}
	reprLD       = representation{typ: "application", sub: "ld+json", asProfile: true}
)

// quality returns the q of the most specific range matching rep, and whether that range named the
// type exactly (not a wildcard). Unmatched: q 0.
func (rep representation) quality(ranges []mediaRange) (q float64, exact bool) {
	best := -1
	for _, r := range ranges {
		spec := -1
		switch {
		case r.typ == rep.typ && r.sub == rep.sub:
			if rep.asProfile {
				// A profile naming something else is a different representation; no profile is
				// taken as the ActivityStreams one (Pleroma and others send bare ld+json).
				if p, ok := r.params["profile"]; ok && !hasASProfile(p) {
					continue
				}
			}
			spec = 2
		case r.typ == rep.typ && r.sub == "*":
			spec = 1
		case r.typ == "*" && r.sub == "*":
			spec = 0
		}
		if spec > best || (spec == best && spec >= 0 && r.q > q) {
			best, q = spec, r.q
		}
	}
	if best < 0 {
		return 0, false
	}
	return q, best == 2
}

// WantsActivityStreams reports whether a request asks for the ActivityStreams representation of a
// URL rather than its HTML page. Only a range that names an ActivityStreams type explicitly counts,
// and it must be at least as acceptable as HTML: a browser's "text/html, */*" or a bare "*/*" (or no
// Accept at all) gets the page.
func WantsActivityStreams(r *http.Request) bool {
	_, ok := negotiateActivityStreams(r.Header.Values("Accept"))
	return ok
}

// negotiateActivityStreams picks the AS content type to answer with, if the Accept values want one.
func negotiateActivityStreams(accept []string) (contentType string, ok bool) {
	if len(accept) == 0 {
		return "", false
	}
	ranges := parseAccept(strings.Join(accept, ","))
	qHTML, _ := reprHTML.quality(ranges)
	qAct, exactAct := reprActivity.quality(ranges)
	qLD, exactLD := reprLD.quality(ranges)
	if !exactAct {
		qAct = 0
	}
	if !exactLD {
		qLD = 0
	}
	switch {
	case qAct == 0 && qLD == 0:
		return "", false
	case qLD > qAct:
		return LDJSONActivityStreams, qLD >= qHTML
	default:
		return ActivityJSON, qAct >= qHTML
	}
}

// responseContentType is the Content-Type for an AS document answering r: the form the client
// preferred, else application/activity+json (also for /actor fetched by a browser).
func responseContentType(r *http.Request) string {
	if ct, ok := negotiateActivityStreams(r.Header.Values("Accept")); ok {
		return ct
	}
	return ActivityJSON
}
