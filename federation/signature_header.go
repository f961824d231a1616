package federation

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// SignatureParams is a parsed draft-cavage Signature header.
type SignatureParams struct {
	KeyID string
	// Algorithm is the header's (deprecated) algorithm parameter, lower case, "" when absent. It
	// never chooses how to verify: the key's type does (SECURITY.md rule 10).
	Algorithm string
	// Headers lists the signed headers, lower case, in signing order; "date" when absent (the
	// draft's default, which Stoa then refuses as insufficient).
	Headers   []string
	Signature []byte
	// Created and Expires are the optional (created) and (expires) parameters, 0 when absent.
	Created, Expires int64
}

const (
	maxSignatureHeader = 8 << 10
	maxSignedHeaders   = 32
	maxSignatureBytes  = 1024 // RSA-8192 signatures are 1024 bytes
)

var errSignatureSyntax = errors.New("malformed Signature header")

// ParseSignatureHeader parses `keyId="...",algorithm="...",headers="...",signature="..."` (auth-param
// syntax of RFC 9110: tokens or quoted strings with \-escapes, optional whitespace around commas and
// '='). Unlike go-fed/httpsig's own parser it refuses what it cannot read unambiguously: duplicate
// parameters, unterminated quotes, a signature that is not base64, a keyId with a quote or comma
// (which httpsig would split differently). Unknown parameters are ignored, as the draft requires.
func ParseSignatureHeader(v string) (SignatureParams, error) {
	if len(v) > maxSignatureHeader {
		return SignatureParams{}, fmt.Errorf("%w: longer than %d bytes", errSignatureSyntax, maxSignatureHeader)
	}
	params := map[string]string{}
	s := v
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			break
		}
		name, rest, ok := cutToken(s)
		if !ok {
			return SignatureParams{}, fmt.Errorf("%w: expected a parameter name at %q", errSignatureSyntax, clip(s))
		}
		rest = strings.TrimLeft(rest, " \t")
		if !strings.HasPrefix(rest, "=") {
			return SignatureParams{}, fmt.Errorf("%w: parameter %q has no value", errSignatureSyntax, name)
		}
		rest = strings.TrimLeft(rest[1:], " \t")
		var value string
		if strings.HasPrefix(rest, `"`) {
			value, rest, ok = cutQuoted(rest)
		} else {
			value, rest, ok = cutToken(rest)
		}
		if !ok {
			return SignatureParams{}, fmt.Errorf("%w: bad value of %q", errSignatureSyntax, name)
		}
		name = strings.ToLower(name)
		if _, dup := params[name]; dup {
			return SignatureParams{}, fmt.Errorf("%w: parameter %q given twice", errSignatureSyntax, name)
		}
		params[name] = value
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			break
		}
		if rest[0] != ',' {
			return SignatureParams{}, fmt.Errorf("%w: expected ',' at %q", errSignatureSyntax, clip(rest))
		}
		s = rest[1:]
	}
	return signatureParamsFrom(params)
}

func signatureParamsFrom(params map[string]string) (SignatureParams, error) {
	var p SignatureParams
	p.KeyID = params["keyid"]
	if p.KeyID == "" {
		return p, fmt.Errorf("%w: no keyId", errSignatureSyntax)
	}
	if strings.ContainsAny(p.KeyID, "\",\\ \t") {
		return p, fmt.Errorf("%w: keyId %q contains a quote, comma, backslash or space", errSignatureSyntax, clip(p.KeyID))
	}
	sig := params["signature"]
	if sig == "" {
		return p, fmt.Errorf("%w: no signature", errSignatureSyntax)
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(sig)
	if err != nil || len(raw) == 0 || len(raw) > maxSignatureBytes {
		return p, fmt.Errorf("%w: signature is not base64 of at most %d bytes", errSignatureSyntax, maxSignatureBytes)
	}
	p.Signature = raw
	p.Algorithm = strings.ToLower(params["algorithm"])
	if h, ok := params["headers"]; ok {
		p.Headers = strings.Fields(strings.ToLower(h))
		if len(p.Headers) == 0 {
			return p, fmt.Errorf("%w: empty headers list", errSignatureSyntax)
		}
	} else {
		p.Headers = []string{"date"}
	}
	if len(p.Headers) > maxSignedHeaders {
		return p, fmt.Errorf("%w: more than %d signed headers", errSignatureSyntax, maxSignedHeaders)
	}
	seen := map[string]bool{}
	for _, h := range p.Headers {
		if seen[h] {
			return p, fmt.Errorf("%w: header %q signed twice", errSignatureSyntax, h)
		}
		seen[h] = true
	}
	for name, dst := range map[string]*int64{"created": &p.Created, "expires": &p.Expires} {
		if v, ok := params[name]; ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return p, fmt.Errorf("%w: %s is not a positive integer", errSignatureSyntax, name)
			}
			*dst = n
		}
	}
	return p, nil
}

// String is the header in the one form go-fed/httpsig parses exactly as ParseSignatureHeader did:
// known parameters only, each quoted once, no spaces, no escapes (the values were refused if they
// needed any).
func (p SignatureParams) String() string {
	var b strings.Builder
	b.WriteString(`keyId="` + p.KeyID + `"`)
	if p.Algorithm != "" {
		b.WriteString(`,algorithm="` + p.Algorithm + `"`)
	}
	if p.Created != 0 {
		b.WriteString(",created=" + strconv.FormatInt(p.Created, 10))
	}
	if p.Expires != 0 {
		b.WriteString(",expires=" + strconv.FormatInt(p.Expires, 10))
	}
	b.WriteString(`,headers="` + strings.Join(p.Headers, " ") + `"`)
	b.WriteString(`,signature="` + base64.StdEncoding.EncodeToString(p.Signature) + `"`)
	return b.String()
}

// isTokenChar is RFC 9110's tchar.
func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// cutToken reads an RFC 9110 token: parameter names, and unquoted values such as created=1700000000.
// Draft-cavage quotes every other value, so unquoted URLs or base64 are refused, not guessed at.
func cutToken(s string) (tok, rest string, ok bool) {
	i := 0
	for i < len(s) && isTokenChar(s[i]) {
		i++
	}
	if i == 0 {
		return "", s, false
	}
	return s[:i], s[i:], true
}

// cutQuoted reads a quoted-string starting at s[0] == '"'.
func cutQuoted(s string) (value, rest string, ok bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 >= len(s) {
				return "", s, false
			}
			i++
			b.WriteByte(s[i])
		case '"':
			return b.String(), s[i+1:], true
		default:
			if c < ' ' && c != '\t' || c == 0x7f {
				return "", s, false
			}
			b.WriteByte(c)
		}
	}
	return "", s, false
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
