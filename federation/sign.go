package federation

import (
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-fed/httpsig"
)

// The headers Stoa signs (draft-cavage-http-signatures-12, as Mastodon and every peer verify it).
var (
	signedGetHeaders  = []string{httpsig.RequestTarget, "host", "date"}
	signedPostHeaders = []string{httpsig.RequestTarget, "host", "date", "digest"}
)

// SigningKey is a local actor's key pair with its key id, ready to sign requests. Build it once per
// actor from the cached forum.SigningKey (parsing a private key costs more than a tenth of a
// signature) and share it: signing does not modify it.
type SigningKey struct {
	KeyID   string
	Private *rsa.PrivateKey
}

// BodyDigest is the Digest header of a request body, "SHA-256=<base64>". The delivery worker
// computes it once per activity (DigestBody) and signs each inbox's POST with it, instead of
// hashing the same bytes again for every recipient.
type BodyDigest string

// DigestBody returns the RFC 3230 SHA-256 digest of body.
func DigestBody(body []byte) BodyDigest {
	sum := sha256.Sum256(body)
	return BodyDigest("SHA-256=" + base64.StdEncoding.EncodeToString(sum[:]))
}

// SignGet sets Host and Date (now) on a GET (or HEAD) request and signs (request-target), host and
// date. Call it right before sending: a retry must be signed again (SECURITY.md rule 18).
func (k SigningKey) SignGet(r *http.Request, now time.Time) error {
	return k.sign(r, signedGetHeaders, now)
}

// SignPost sets Host, Date (now) and Digest (the precomputed digest of the body r carries) on a POST
// and signs (request-target), host, date and digest.
func (k SigningKey) SignPost(r *http.Request, digest BodyDigest, now time.Time) error {
	if !strings.HasPrefix(string(digest), "SHA-256=") {
		return fmt.Errorf("sign %s: digest %q is not a SHA-256 digest", r.URL.Redacted(), digest)
	}
	r.Header.Set("Digest", string(digest))
	return k.sign(r, signedPostHeaders, now)
}

func (k SigningKey) sign(r *http.Request, headers []string, now time.Time) error {
	if k.Private == nil || k.KeyID == "" {
		return errors.New("sign: no key")
	}
	if r.URL == nil || r.URL.Host == "" {
		return errors.New("sign: request has no absolute URL")
	}
	if r.Host == "" {
		r.Host = r.URL.Host
	}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	// The transport sends r.Host as the Host header and ignores Header["Host"]; httpsig reads the
	// header map, so both hold the same value.
	r.Header.Set("Host", r.Host)
	r.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	r.Header.Del("Signature")
	// An httpsig.Signer is documented as unsafe for concurrent use; it is a small struct, so each
	// signature gets its own rather than a shared one behind a lock. It is httpsig's signer for
	// an external key (an ssh.Signer): httpsig builds the signing string and the header, and
	// rsaSHA256 signs with internal/rsasign, OpenSSL when it is there (rsa_signer.go).
	signer, _, err := httpsig.NewSSHSigner(rsaSHA256{k.Private}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	// httpsig builds (request-target) from URL.Path, the decoded path, while the request line
	// carries the escaped one: sign a copy whose Path is exactly what goes on the wire.
	wire := *r
	u := *r.URL
	u.Path, u.RawPath = r.URL.EscapedPath(), ""
	wire.URL = &u
	if err := signer.SignRequest(k.KeyID, &wire, nil); err != nil {
		return fmt.Errorf("sign %s: %w", r.URL.Redacted(), err)
	}
	// httpsig always writes algorithm="hs2019"; the signature is RSASSA-PKCS1-v1_5 SHA-256, which
	// every peer knows by its draft-cavage name (some older ones know no other).
	sig := r.Header.Get("Signature")
	r.Header.Set("Signature", strings.Replace(sig, `,algorithm="hs2019",`, `,algorithm="rsa-sha256",`, 1))
	return nil
}
