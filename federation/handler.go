package federation

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/stoa-forum/stoa/forum"
)

// Software names this server in NodeInfo and User-Agent headers.
type Software struct {
	Name, Version, Repository, Homepage string
}

// HandlerOptions configure the Handler. Forum and IRIs are required, and Verifier when
// AuthorizedFetch is on.
type HandlerOptions struct {
	Forum *forum.Forum
	IRIs  IRIs
	// Verifier checks signed GETs. Without it (or with AuthorizedFetch off) signatures are ignored.
	Verifier *Verifier
	// AuthorizedFetch requires a valid signature on GETs of ActivityStreams documents, and refuses
	// blocked domains (Mastodon's secure mode). Unsigned requests still get a reduced actor
	// document, so peers that fetch keys without signing can verify Stoa's signatures; WebFinger,
	// NodeInfo, host-meta and the instance actor stay public.
	AuthorizedFetch bool
	Policy          DomainPolicy
	// Fallback serves requests no ActivityStreams route matches: the HTML pages.
	Fallback http.Handler
	Log      *slog.Logger
	Software Software
	Now      func() time.Time
	// Documents builds posts' and activities' documents; nil: one without WebFinger resolution.
	Documents *Documents
}

// Handler serves Stoa's ActivityStreams documents (actors and their collections), WebFinger,
// host-meta and NodeInfo. Mount its ServeHTTP for GET and HEAD requests that want ActivityStreams
// (WantsActivityStreams) and for /actor; it hands anything it has no document for to the Fallback.
type Handler struct {
	forum           *forum.Forum
	iris            IRIs
	verifier        *Verifier
	authorizedFetch bool
	policy          DomainPolicy
	fallback        http.Handler
	log             *slog.Logger
	software        Software
	now             func() time.Time
	router          chi.Router
	docs            *Documents

	// keyGate lets one thread actor key be generated at a time: a crawler walking /t/1/actor,
	// /t/2/actor, ... makes an RSA key per thread, and each costs tens of milliseconds of CPU.
	keyGate chan struct{}

	usageMu         sync.Mutex
	usage           forum.NodeUsage
	usageAt         time.Time
	usageRefreshing bool
}

// NewHandler returns the federation read-side handler.
func NewHandler(o HandlerOptions) (*Handler, error) {
	if o.Forum == nil || o.IRIs.Base() == "" {
		return nil, errors.New("federation: handler needs Forum and IRIs")
	}
	if o.AuthorizedFetch && o.Verifier == nil {
		return nil, errors.New("federation: authorized fetch needs a Verifier")
	}
	h := &Handler{forum: o.Forum, iris: o.IRIs, verifier: o.Verifier, authorizedFetch: o.AuthorizedFetch,
		policy: o.Policy, fallback: o.Fallback, log: o.Log, software: o.Software,
		now: o.Now, keyGate: make(chan struct{}, 1), docs: o.Documents}
	if h.docs == nil {
		h.docs = NewDocuments(o.Forum, o.IRIs, nil)
	}
	if h.policy == nil {
		h.policy = AllowAll{}
	}
	if h.fallback == nil {
		h.fallback = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.fail(w, r, forum.ErrNotFound)
		})
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.software.Name == "" {
		h.software.Name = "stoa"
	}
	if h.software.Version == "" {
		h.software.Version = "dev"
	}
	if h.now == nil {
		h.now = time.Now
	}
	h.router = h.routes()
	return h, nil
}

// routes is every ActivityStreams document this package serves, in one table.
func (h *Handler) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(middleware.GetHead)
	r.NotFound(h.fallback.ServeHTTP)
	r.MethodNotAllowed(h.fallback.ServeHTTP)

	r.Get("/actor", h.instanceActor)
	r.Get("/actor/{collection}", h.instanceCollection)
	r.Get("/u/{username}", h.person)
	r.Get("/u/{username}/{collection}", h.personCollection)
	r.Get("/c/{slug}", h.group)
	r.Get("/c/{slug}/{collection}", h.groupCollection)
	r.Get("/t/{thread}/actor", h.threadActor)
	r.Get("/t/{thread}/actor/{collection}", h.threadCollection)
	// Posts, threads as collections (FEP-7888) and recorded activities.
	r.Get("/p/{post}", h.post)
	r.Get("/p/{post}/replies", h.postReplies)
	r.Get("/t/{thread}", h.threadContext)
	r.Get("/t/{thread}/history", h.threadHistory)
	r.Get("/activities/{activity}", h.activity)
	r.Get("/activities/{activity}/{document}", h.activityDocument)
	return r
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.router.ServeHTTP(w, r) }

type signerKey struct{}

// Signer returns who signed the request being served, when authorized fetch verified a signature.
func Signer(ctx context.Context) (Verified, bool) {
	v, ok := ctx.Value(signerKey{}).(Verified)
	return v, ok
}

// verifyFetch checks a GET's signature when authorized fetch is on. It returns the request (with
// the signer in its context) or an error: ErrUnsigned for no signature, which actor documents
// answer with their reduced form and everything else with 401.
func (h *Handler) verifyFetch(r *http.Request) (*http.Request, error) {
	if !h.authorizedFetch {
		return r, nil
	}
	v, err := h.verifier.Verify(r.Context(), r, nil)
	if err != nil {
		return r, err
	}
	if o, err := OriginOf(v.Owner); err != nil || h.policy.Blocked(r.Context(), o.Hostname()) {
		return r, errors.Join(ErrBlockedDomain, forum.ErrForbidden)
	}
	return r.WithContext(context.WithValue(r.Context(), signerKey{}, v)), nil
}
