package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

var (
	// ErrNotActivityStreams means a response's Content-Type is not an ActivityStreams type.
	ErrNotActivityStreams = errors.New("response is not an ActivityStreams document")
	// ErrIDMismatch means a document's id is not the URL it was fetched from (SECURITY.md rule 13).
	ErrIDMismatch = errors.New("document id differs from the URL it was fetched from")
	// ErrTooLarge means a response body exceeded the fetch size limit.
	ErrTooLarge = errors.New("response body too large")
	// ErrLocalIRI means an IRI is on this instance: it is looked up locally, never fetched or
	// ingested (SECURITY.md rule 6).
	ErrLocalIRI = errors.New("IRI is on this instance")
	// ErrUnsafeURL means an IRI is not something Stoa will fetch (scheme, user info, bad host).
	ErrUnsafeURL = errors.New("URL may not be fetched")
)

// StatusError is a non-200 answer. It wraps forum.ErrNotFound for 404 and forum.ErrGone for 410,
// so callers can tell a deleted actor from a server that is down.
type StatusError struct {
	URL  string
	Code int
}

func (e *StatusError) Error() string { return fmt.Sprintf("GET %s: HTTP %d", e.URL, e.Code) }

// Unwrap maps the statuses that mean "this object does not exist".
func (e *StatusError) Unwrap() error {
	switch e.Code {
	case http.StatusNotFound:
		return forum.ErrNotFound
	case http.StatusGone:
		return forum.ErrGone
	}
	return nil
}

// Fetch limits (SECURITY.md rule 15).
const (
	DefaultFetchTimeout  = 30 * time.Second
	DefaultFetchMaxBytes = 1 << 20
)

// InstanceKeySource gives the instance actor's key, which signs every fetch (GoToSocial and
// Mastodon in secure mode refuse unsigned GETs).
type InstanceKeySource interface {
	InstanceKey(ctx context.Context) (SigningKey, error)
}

// FetcherOptions configure a Fetcher. IRIs and Keys are required.
type FetcherOptions struct {
	IRIs      IRIs
	Keys      InstanceKeySource
	Policy    DomainPolicy
	Transport TransportOptions
	Now       func() time.Time
	// Timeout bounds a whole fetch, slow body included; MaxBytes bounds the body. Zero: defaults.
	Timeout   time.Duration
	MaxBytes  int64
	UserAgent string
}

// Fetcher dereferences remote ActivityStreams documents safely: signed by the instance actor,
// https only (unless unsafe local mode), through the address-checking transport, at most one
// redirect and only within the same origin, ActivityStreams media types only, a size cap, a total
// deadline, the context's fetch budget, and the document's id checked against its final URL.
type Fetcher struct {
	iris      IRIs
	keys      InstanceKeySource
	policy    DomainPolicy
	client    *http.Client
	unsafe    bool
	now       func() time.Time
	timeout   time.Duration
	maxBytes  int64
	userAgent string
}

// NewFetcher returns a Fetcher.
func NewFetcher(o FetcherOptions) (*Fetcher, error) {
	if o.Keys == nil || o.IRIs.Base() == "" {
		return nil, errors.New("federation: fetcher needs IRIs and an instance key source")
	}
	f := &Fetcher{iris: o.IRIs, keys: o.Keys, policy: o.Policy, unsafe: o.Transport.UnsafeLocal, now: o.Now,
		timeout: o.Timeout, maxBytes: o.MaxBytes, userAgent: o.UserAgent}
	if f.policy == nil {
		f.policy = AllowAll{}
	}
	if f.now == nil {
		f.now = time.Now
	}
	if f.timeout == 0 {
		f.timeout = DefaultFetchTimeout
	}
	if f.maxBytes == 0 {
		f.maxBytes = DefaultFetchMaxBytes
	}
	if f.userAgent == "" {
		f.userAgent = "Stoa (+" + o.IRIs.Base() + "/)"
	}
	f.client = &http.Client{Transport: NewTransport(o.Transport), CheckRedirect: f.checkRedirect}
	return f, nil
}

// Document is a fetched ActivityStreams document.
type Document struct {
	// URL is where it was finally fetched from (after at most one redirect), without fragment.
	URL  string
	ID   string
	Type string
	Body []byte
}

// Get fetches iri and requires the document's id to be its final URL.
func (f *Fetcher) Get(ctx context.Context, iri string) (Document, error) {
	doc, err := f.get(ctx, iri)
	if err != nil {
		return Document{}, err
	}
	if !sameIRI(doc.ID, doc.URL) {
		return Document{}, fmt.Errorf("%w: fetched %s, id is %q", ErrIDMismatch, doc.URL, clip(doc.ID))
	}
	return doc, nil
}

// getUnchecked fetches iri without the id check, for key ids whose document is a key or a stub
// of its owner (GoToSocial serves /users/x/main-key as a Person with id /users/x); the caller then
// fetches and checks the owner with Get.
func (f *Fetcher) getUnchecked(ctx context.Context, iri string) (Document, error) {
	return f.get(ctx, iri)
}

// checkURL decides whether u may be fetched at all, before anything is sent.
func (f *Fetcher) checkURL(ctx context.Context, u *url.URL) (Origin, error) {
	if u.Scheme != "https" && !(f.unsafe && u.Scheme == "http") {
		return "", fmt.Errorf("%w: %s: scheme %q (https only)", ErrUnsafeURL, u.Redacted(), u.Scheme)
	}
	o, err := originOfURL(u)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrUnsafeURL, err)
	}
	if o == f.iris.Origin() {
		return "", fmt.Errorf("%s: %w", u.Redacted(), ErrLocalIRI)
	}
	if f.policy.Blocked(ctx, o.Hostname()) {
		return "", fmt.Errorf("%w: %s: %w", ErrBlockedDomain, o.Hostname(), forum.ErrForbidden)
	}
	return o, nil
}

func (f *Fetcher) get(ctx context.Context, iri string) (Document, error) {
	u, err := url.Parse(iri)
	if err != nil {
		return Document{}, fmt.Errorf("%w: %q: %v", ErrUnsafeURL, clip(iri), err)
	}
	u.Fragment, u.RawFragment = "", ""
	if _, err := f.checkURL(ctx, u); err != nil {
		return Document{}, err
	}
	if err := spendFetch(ctx); err != nil {
		return Document{}, fmt.Errorf("GET %s: %w", u.Redacted(), err)
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Document{}, fmt.Errorf("%w: %v", ErrUnsafeURL, err)
	}
	req.Header.Set("Accept", AcceptActivityStreams)
	req.Header.Set("User-Agent", f.userAgent)
	if err := f.signGet(req); err != nil {
		return Document{}, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return Document{}, fmt.Errorf("GET %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	final := *resp.Request.URL
	final.Fragment, final.RawFragment = "", ""
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return Document{}, &StatusError{URL: final.String(), Code: resp.StatusCode}
	}
	if ct := resp.Header.Get("Content-Type"); !IsActivityStreams(ct) {
		return Document{}, fmt.Errorf("%w: GET %s: Content-Type %q", ErrNotActivityStreams, final.Redacted(), clip(ct))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBytes+1))
	if err != nil {
		return Document{}, fmt.Errorf("GET %s: read body: %w", final.Redacted(), err)
	}
	if int64(len(body)) > f.maxBytes {
		return Document{}, fmt.Errorf("%w: GET %s: more than %d bytes", ErrTooLarge, final.Redacted(), f.maxBytes)
	}
	var head struct {
		ID   string          `json:"id"`
		Type json.RawMessage `json:"type"`
	}
	if err := decodeJSON(body, &head); err != nil {
		return Document{}, fmt.Errorf("GET %s: %w", final.Redacted(), err)
	}
	typ, err := firstType(head.Type)
	if err != nil {
		return Document{}, fmt.Errorf("GET %s: %w", final.Redacted(), malformed("%v", err))
	}
	return Document{URL: final.String(), ID: head.ID, Type: typ, Body: body}, nil
}

func (f *Fetcher) signGet(req *http.Request) error {
	key, err := f.keys.InstanceKey(req.Context())
	if err != nil {
		return fmt.Errorf("instance key: %w", err)
	}
	return key.SignGet(req, f.now())
}

// checkRedirect allows one redirect, within the original origin, re-checking the new URL and
// signing the new request (the old signature covers the old path).
func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > 1 {
		return fmt.Errorf("GET %s: more than one redirect", via[0].URL.Redacted())
	}
	from, err := originOfURL(via[0].URL)
	if err != nil {
		return err
	}
	to, err := f.checkURL(req.Context(), req.URL)
	if err != nil {
		return err
	}
	if to != from {
		return fmt.Errorf("%w: GET %s redirected to another origin (%s)", ErrUnsafeURL, via[0].URL.Redacted(), to)
	}
	req.Host = ""
	req.Header.Del("Signature")
	return f.signGet(req)
}

// sameIRI compares two ids as the same resource: same origin (canonical host, default port
// dropped), same escaped path and query, and neither with a fragment.
func sameIRI(a, b string) bool {
	ua, err := url.Parse(a)
	if err != nil || ua.Fragment != "" {
		return false
	}
	ub, err := url.Parse(b)
	if err != nil || ub.Fragment != "" {
		return false
	}
	oa, err := originOfURL(ua)
	if err != nil {
		return false
	}
	ob, err := originOfURL(ub)
	return err == nil && oa == ob && ua.EscapedPath() == ub.EscapedPath() && ua.RawQuery == ub.RawQuery
}
