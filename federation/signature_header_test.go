package federation

import (
	"bytes"
	"testing"
)

func TestParseSignatureHeader(t *testing.T) {
	t.Parallel()
	p, err := ParseSignatureHeader(`keyId="https://social.example/users/a#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="AAEC"`)
	if err != nil {
		t.Fatal(err)
	}
	if p.KeyID != "https://social.example/users/a#main-key" || p.Algorithm != "rsa-sha256" ||
		len(p.Headers) != 4 || p.Headers[0] != "(request-target)" || !bytes.Equal(p.Signature, []byte{0, 1, 2}) {
		t.Fatalf("parsed %+v", p)
	}
	// Whitespace around separators, mixed-case names, unknown parameters and unquoted integers.
	p, err = ParseSignatureHeader(` KeyId = "https://b.example/users/b/main-key" , Algorithm="HS2019",created=1700000000, ` +
		`headers="(request-target) Host date (created)",extra="x,y",signature="AAEC" `)
	if err != nil {
		t.Fatal(err)
	}
	if p.KeyID != "https://b.example/users/b/main-key" || p.Algorithm != "hs2019" || p.Created != 1700000000 || p.Headers[1] != "host" {
		t.Fatalf("parsed %+v", p)
	}
	// No headers parameter: the draft's default.
	p, err = ParseSignatureHeader(`keyId="k",signature="AAEC"`)
	if err != nil || len(p.Headers) != 1 || p.Headers[0] != "date" {
		t.Fatalf("default headers: %+v, %v", p, err)
	}
	// String() round-trips to the same parameters, in the one form httpsig parses.
	again, err := ParseSignatureHeader(p.String())
	if err != nil || again.KeyID != p.KeyID || !bytes.Equal(again.Signature, p.Signature) || again.Headers[0] != "date" {
		t.Fatalf("round trip of %q: %+v, %v", p.String(), again, err)
	}
}

func TestParseSignatureHeaderRefusesAmbiguity(t *testing.T) {
	t.Parallel()
	bad := map[string]string{
		"empty":              ``,
		"no keyId":           `signature="AAEC"`,
		"no signature":       `keyId="k"`,
		"duplicate headers":  `keyId="k",headers="date",headers="(request-target) host date",signature="AAEC"`,
		"duplicate keyId":    `keyId="a",keyId="b",signature="AAEC"`,
		"unterminated quote": `keyId="k,signature="AAEC"`,
		"not base64":         `keyId="k",signature="!!!"`,
		"comma in keyId":     `keyId="https://a.example/u,x",signature="AAEC"`,
		"escaped quote":      `keyId="a\"b",signature="AAEC"`,
		"unquoted url":       `keyId=https://a.example/u,signature="AAEC"`,
		"missing comma":      `keyId="k" signature="AAEC"`,
		"header twice":       `keyId="k",headers="date date",signature="AAEC"`,
		"empty headers":      `keyId="k",headers="  ",signature="AAEC"`,
		"bad created":        `keyId="k",created=-5,signature="AAEC"`,
	}
	for name, v := range bad {
		if p, err := ParseSignatureHeader(v); err == nil {
			t.Errorf("%s: %q parsed as %+v", name, v, p)
		}
	}
}

func FuzzParseSignatureHeader(f *testing.F) {
	for _, s := range []string{
		`keyId="https://a.example/u#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="AAEC"`,
		`keyId="k",signature="AAEC",created=1,expires=2`,
		`keyId="a\"b", signature="AA=="`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		p, err := ParseSignatureHeader(v)
		if err != nil {
			return
		}
		// What parses re-serialises to a header that parses to the same parameters: the form handed
		// to httpsig cannot mean something else.
		again, err := ParseSignatureHeader(p.String())
		if err != nil {
			t.Fatalf("%q parsed, but its canonical form %q does not: %v", v, p.String(), err)
		}
		if again.KeyID != p.KeyID || !bytes.Equal(again.Signature, p.Signature) || again.Algorithm != p.Algorithm ||
			len(again.Headers) != len(p.Headers) || again.Created != p.Created || again.Expires != p.Expires {
			t.Fatalf("%q: %+v became %+v", v, p, again)
		}
	})
}
