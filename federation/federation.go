package federation

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

// Config is what federation needs from the process configuration.
type Config struct {
	Forum     *forum.Forum
	PublicURL *url.URL
	// AuthorizedFetch requires signed GETs (STOA_AUTHORIZED_FETCH).
	AuthorizedFetch bool
	// UnsafeLocal allows plain http and loopback/private addresses (STOA_UNSAFE_LOCAL_FEDERATION);
	// HostMap (STOA_UNSAFE_HOST_MAP) is honoured only with it.
	UnsafeLocal bool
	HostMap     map[string]string
	// Policy is the domain policy; nil allows every domain.
	Policy   DomainPolicy
	Log      *slog.Logger
	Software Software
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Federation is the wired read side: the pieces the inbox and outbox build on, and the Handler.
type Federation struct {
	IRIs     IRIs
	Keys     *LocalKeys
	Fetcher  *Fetcher
	Actors   *Actors
	Verifier *Verifier
	// Documents builds posts' and activities' documents, resolving mentions through WebFinger.
	Documents *Documents
	cfg       Config
}

// New wires IRIs, local keys, the fetcher, the remote actor cache and the verifier.
func New(c Config) (*Federation, error) {
	if c.Forum == nil {
		return nil, errors.New("federation: no forum")
	}
	if len(c.HostMap) > 0 && !c.UnsafeLocal {
		return nil, errors.New("federation: a host map needs unsafe local federation")
	}
	iris, err := NewIRIs(c.PublicURL)
	if err != nil {
		return nil, err
	}
	if c.Policy == nil {
		c.Policy = AllowAll{}
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Software.Name == "" {
		c.Software.Name = "stoa"
	}
	if c.Software.Version == "" {
		c.Software.Version = "dev"
	}
	keys := NewLocalKeys(c.Forum, iris)
	ua := fmt.Sprintf("%s/%s (+%s/)", c.Software.Name, c.Software.Version, iris.Base())
	fetcher, err := NewFetcher(FetcherOptions{IRIs: iris, Keys: keys, Policy: c.Policy, Now: c.Now, UserAgent: ua,
		Transport: TransportOptions{UnsafeLocal: c.UnsafeLocal, HostMap: c.HostMap}})
	if err != nil {
		return nil, err
	}
	actors, err := NewActors(ActorsOptions{Forum: c.Forum, Fetcher: fetcher, IRIs: iris, Policy: c.Policy, Log: c.Log, Now: c.Now})
	if err != nil {
		return nil, err
	}
	verifier, err := NewVerifier(VerifierOptions{Keys: actors, Policy: c.Policy, Host: iris.Host(), Now: c.Now})
	if err != nil {
		return nil, err
	}
	return &Federation{IRIs: iris, Keys: keys, Fetcher: fetcher, Actors: actors, Verifier: verifier,
		Documents: NewDocuments(c.Forum, iris, actors), cfg: c}, nil
}

// Handler returns the ActivityStreams, WebFinger and NodeInfo handler; fallback serves the pages
// for requests it has no document for.
func (f *Federation) Handler(fallback http.Handler) (*Handler, error) {
	return NewHandler(HandlerOptions{Forum: f.cfg.Forum, IRIs: f.IRIs, Verifier: f.Verifier, AuthorizedFetch: f.cfg.AuthorizedFetch,
		Policy: f.cfg.Policy, Fallback: fallback, Log: f.cfg.Log, Software: f.cfg.Software,
		Now: f.cfg.Now, Documents: f.Documents})
}
