package federation

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-fed/httpsig"

	"github.com/stoa-forum/stoa/forum"
)

var (
	// ErrUnsigned means a request carries no HTTP signature. It wraps forum.ErrUnauthorized.
	ErrUnsigned = fmt.Errorf("request is not signed: %w", forum.ErrUnauthorized)
	// ErrBadSignature is wrapped (with forum.ErrUnauthorized) by every verification failure.
	ErrBadSignature = errors.New("bad HTTP signature")
	// ErrBlockedDomain is wrapped (with forum.ErrForbidden) when the signer's domain is blocked.
	ErrBlockedDomain = errors.New("domain is blocked")
)

func badSignature(format string, args ...any) error {
	return fmt.Errorf("%w: %s: %w", ErrBadSignature, fmt.Sprintf(format, args...), forum.ErrUnauthorized)
}

// PublicKey is a remote (or local) actor's key as a KeyResolver returns it.
type PublicKey struct {
	ID string
	// Owner is the id of the actor the key belongs to, checked against the actor's own document.
	Owner string
	Key   crypto.PublicKey
	// Actor is the owner as stored (zero for local actors resolved without a row lookup).
	Actor forum.Actor
	// Fresh is true when the key was fetched from its origin during this call, so refetching it
	// after a failed verification would gain nothing.
	Fresh bool
}

// KeyResolver finds the key a signature names. Actors implements it over the remote actor cache.
type KeyResolver interface {
	// ResolveKey returns the key, from the cache or fetched from the key's origin.
	ResolveKey(ctx context.Context, keyID string) (PublicKey, error)
	// RefreshKey fetches the key again from its origin after a failed verification, at most once
	// per key per few minutes (SECURITY.md rule 11); refreshed is false when that limit held. An
	// implementation that caches keys may also answer refreshed with a newer key it holds (Actors:
	// one another process stored since), without a fetch.
	RefreshKey(ctx context.Context, keyID string) (key PublicKey, refreshed bool, err error)
}

// Signature time window. Mastodon accepts a Date up to 12 hours old and 1 hour ahead; Stoa takes
// the same window, since peers that queue deliveries sign them some time before sending, and replays
// within it are harmless: inboxes record activity ids and apply each once (SECURITY.md rule 7).
const (
	DefaultMaxSignatureAge    = 12 * time.Hour
	DefaultMaxSignatureFuture = time.Hour
)

// VerifierOptions configure a Verifier. Keys is required.
type VerifierOptions struct {
	Keys KeyResolver
	// Policy is asked about the signer's host before any key lookup. Nil: AllowAll.
	Policy DomainPolicy
	// Host, when set, is the only Host header accepted (this instance's host[:port]): a request
	// signed for another server is not replayable here.
	Host string
	// Now is the clock (tests pin it). Nil: time.Now.
	Now func() time.Time
	// MaxAge and MaxFuture bound the signed Date. Zero: the defaults above.
	MaxAge, MaxFuture time.Duration
}

// Verifier checks draft-cavage HTTP signatures (what Mastodon, GoToSocial, Lemmy, NodeBB, Misskey
// and Discourse send). go-fed/httpsig checks the cryptography; the Verifier enforces what the library
// leaves to its caller (SECURITY.md rules 9-11): the signed header set, Digest against the body,
// the Date window, the Host, the algorithm by key type, the domain policy before any key fetch, and
// one rate-limited key refetch after a failure. It is safe for concurrent use.
type Verifier struct {
	keys              KeyResolver
	policy            DomainPolicy
	host              string
	now               func() time.Time
	maxAge, maxFuture time.Duration
}

// NewVerifier returns a Verifier.
func NewVerifier(o VerifierOptions) (*Verifier, error) {
	if o.Keys == nil {
		return nil, errors.New("federation: verifier needs a KeyResolver")
	}
	v := &Verifier{keys: o.Keys, policy: o.Policy, now: o.Now, maxAge: o.MaxAge, maxFuture: o.MaxFuture}
	if o.Host != "" {
		h, err := CanonicalHost(o.Host)
		if err != nil {
			return nil, fmt.Errorf("federation: verifier host: %w", err)
		}
		v.host = h
	}
	if v.policy == nil {
		v.policy = AllowAll{}
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.maxAge == 0 {
		v.maxAge = DefaultMaxSignatureAge
	}
	if v.maxFuture == 0 {
		v.maxFuture = DefaultMaxSignatureFuture
	}
	return v, nil
}

// Verified says who signed a request.
type Verified struct {
	KeyID string
	// Owner is the actor id the key belongs to. The inbox must check that it equals the activity's
	// actor (SECURITY.md rule 1): same host is not enough.
	Owner     string
	Actor     forum.Actor
	Algorithm string
}

// Verify checks r's signature. body is the request body as read (nil for GET); for any method
// other than GET and HEAD the Digest header must be signed and match it. Errors wrap ErrUnsigned,
// ErrBadSignature (both 401 through httperr) or ErrBlockedDomain (403).
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte) (Verified, error) {
	sigs := r.Header.Values("Signature")
	switch {
	case len(sigs) == 0 && r.Header.Get("Signature-Input") != "":
		return Verified{}, badSignature("RFC 9421 signatures are not supported yet; sign with draft-cavage")
	case len(sigs) == 0:
		return Verified{}, ErrUnsigned
	case len(sigs) > 1:
		return Verified{}, badSignature("more than one Signature header")
	}
	params, err := ParseSignatureHeader(sigs[0])
	if err != nil {
		return Verified{}, badSignature("%v", err)
	}
	hasBody := r.Method != http.MethodGet && r.Method != http.MethodHead
	if err := v.checkHeaders(r, params, hasBody, body); err != nil {
		return Verified{}, err
	}
	keyOrigin, err := OriginOf(params.KeyID)
	if err != nil {
		return Verified{}, badSignature("keyId %q is not an http(s) URL", clip(params.KeyID))
	}
	if v.policy.Blocked(ctx, keyOrigin.Hostname()) {
		return Verified{}, fmt.Errorf("%w: signer %s: %w", ErrBlockedDomain, keyOrigin.Hostname(), forum.ErrForbidden)
	}
	key, err := v.keys.ResolveKey(ctx, params.KeyID)
	if err != nil {
		return Verified{}, v.keyError(ctx, params.KeyID, err)
	}
	alg, err := v.verifyWithKey(r, params, key)
	if err != nil && !key.Fresh {
		fresh, refreshed, rerr := v.keys.RefreshKey(ctx, params.KeyID)
		if rerr != nil {
			return Verified{}, v.keyError(ctx, params.KeyID, rerr)
		}
		if refreshed && !samePublicKey(fresh.Key, key.Key) {
			key = fresh
			alg, err = v.verifyWithKey(r, params, key)
		}
	}
	if err != nil {
		return Verified{}, err
	}
	if o, oerr := OriginOf(key.Owner); oerr != nil || o != keyOrigin {
		return Verified{}, badSignature("key %s is owned by %s, on another origin", params.KeyID, key.Owner)
	}
	return Verified{KeyID: params.KeyID, Owner: key.Owner, Actor: key.Actor, Algorithm: alg}, nil
}

// keyError turns a key lookup failure into a 401, except a blocked domain (403), the end of the
// request's own context, and this server's database being unreachable (503 with Retry-After,
// through httperr: the sender's signature is not at fault, and a 401 would tell it so and name our
// database in the answer). The cause of a 401 stays in its message, which the sender is shown.
func (v *Verifier) keyError(ctx context.Context, keyID string, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("key %s: %w", keyID, ctx.Err())
	case errors.Is(err, ErrBlockedDomain), forum.DatabaseUnavailable(err):
		return err
	}
	return badSignature("key %s: %v", keyID, err)
}

// requiredSignedHeaders are what every signature must cover (SECURITY.md rule 10).
var requiredSignedHeaders = []string{httpsig.RequestTarget, "host", "date"}

func (v *Verifier) checkHeaders(r *http.Request, p SignatureParams, hasBody bool, body []byte) error {
	signed := map[string]bool{}
	for _, h := range p.Headers {
		signed[h] = true
	}
	for _, h := range requiredSignedHeaders {
		if !signed[h] {
			return badSignature("%q is not signed (signed: %s)", h, strings.Join(p.Headers, " "))
		}
	}
	if hasBody && !signed["digest"] {
		return badSignature("digest is not signed")
	}
	if v.host != "" && !sameHost(r.Host, v.host) {
		return badSignature("signed for host %q, this is %q", r.Host, v.host)
	}
	dates := r.Header.Values("Date")
	if len(dates) != 1 {
		return badSignature("want one Date header, got %d", len(dates))
	}
	date, err := http.ParseTime(dates[0])
	if err != nil {
		return badSignature("Date %q does not parse", clip(dates[0]))
	}
	now := v.now()
	if date.Before(now.Add(-v.maxAge)) {
		return badSignature("Date %s is more than %s old", dates[0], v.maxAge)
	}
	if date.After(now.Add(v.maxFuture)) {
		return badSignature("Date %s is more than %s in the future", dates[0], v.maxFuture)
	}
	if p.Expires != 0 && time.Unix(p.Expires, 0).Before(now) {
		return badSignature("signature expired at %d", p.Expires)
	}
	if p.Created != 0 && time.Unix(p.Created, 0).After(now.Add(v.maxFuture)) {
		return badSignature("signature created in the future")
	}
	if hasBody {
		if err := checkDigest(r.Header.Values("Digest"), body); err != nil {
			return err
		}
	}
	return nil
}

// sameHost compares a Host header with the instance host, ignoring an explicit default port.
func sameHost(got, want string) bool {
	g, err := CanonicalHost(got)
	if err != nil {
		return false
	}
	strip := func(h string) string { return dropDefaultPort("http", dropDefaultPort("https", h)) }
	return strip(g) == strip(want)
}

// checkDigest requires an RFC 3230 Digest with a SHA-256 or SHA-512 value, and every such value
// given to match the body (an unknown algorithm next to a good SHA-256 is ignored, not trusted).
func checkDigest(values []string, body []byte) error {
	if len(values) == 0 {
		return badSignature("no Digest header")
	}
	checked := 0
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			alg, b64, ok := strings.Cut(strings.TrimSpace(item), "=")
			if !ok {
				return badSignature("malformed Digest %q", clip(item))
			}
			var sum []byte
			switch strings.ToUpper(alg) {
			case "SHA-256":
				s := sha256.Sum256(body)
				sum = s[:]
			case "SHA-512":
				s := sha512.Sum512(body)
				sum = s[:]
			default:
				continue
			}
			got, err := base64.StdEncoding.DecodeString(b64)
			if err != nil || subtle.ConstantTimeCompare(got, sum) != 1 {
				return badSignature("Digest %s does not match the body", alg)
			}
			checked++
		}
	}
	if checked == 0 {
		return badSignature("Digest has no SHA-256 or SHA-512 value")
	}
	return nil
}

// verifyWithKey checks the signature with go-fed/httpsig, with the algorithm the key's type
// dictates. The request-target is tried as sent and, if that fails and there is a query, without
// it (some implementations sign the path only).
func (v *Verifier) verifyWithKey(r *http.Request, p SignatureParams, key PublicKey) (string, error) {
	alg, name, err := keyAlgorithm(key.Key)
	if err != nil {
		return "", badSignature("key %s: %v", p.KeyID, err)
	}
	if !headerAlgorithmAllowed(p.Algorithm, name) {
		return "", badSignature("algorithm %q does not match the %s key", p.Algorithm, name)
	}
	path, query := requestTarget(r)
	targets := []string{query}
	if query != "" {
		targets = append(targets, "")
	}
	var verr error
	for _, q := range targets {
		verr = verifyTarget(r, p, path, q, key.Key, alg)
		if verr == nil {
			return name, nil
		}
	}
	return "", badSignature("does not verify with key %s: %v", p.KeyID, verr)
}

func verifyTarget(r *http.Request, p SignatureParams, path, query string, key crypto.PublicKey, alg httpsig.Algorithm) error {
	h := r.Header.Clone()
	h.Set("Signature", p.String())
	h.Del("Authorization")
	h.Set("Host", r.Host)
	req := &http.Request{Method: r.Method, URL: &url.URL{Path: path, RawQuery: query}, Header: h, Host: r.Host}
	hv, err := httpsig.NewVerifier(req)
	if err != nil {
		return err
	}
	return hv.Verify(key, alg)
}

// requestTarget is the path and query exactly as the request line carried them, which is what the
// sender signed (r.URL.Path is decoded and may differ).
func requestTarget(r *http.Request) (path, query string) {
	target := r.RequestURI
	if target == "" || !strings.HasPrefix(target, "/") {
		target = r.URL.RequestURI()
	}
	if i := strings.IndexByte(target, '#'); i >= 0 {
		target = target[:i]
	}
	path, query, _ = strings.Cut(target, "?")
	return path, query
}
