package forum

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/internal/gencache"
)

// Forum is the entry point to the domain. It is safe for concurrent use.
type Forum struct {
	db *pgxpool.Pool
	// memberNames keeps whether names are members here (IsLocalMember).
	memberNames memberNameCache
	secrets     secrets
	federator   Federator
	jobs        Jobs
	markup      Markup
	keys        KeyGenerator
	// parsedKeys is per Forum because actor ids are per database.
	parsedKeys *keyCache
	// perms caches compiled category permissions (permission_cache.go).
	perms *permCache
	// listening, when set (tests), is called each time ListenForChanges is subscribed.
	listening func()
	// hearing, when set (tests), is called before the listener applies each notification: a slow
	// or stuck listener, for the tests of catch_up.go.
	hearing func()
	// pages is the generation of what pages show, and what changed of single threads and
	// categories (page_changes.go).
	pages keyedChanges
	// shared keeps what every viewer of a page reads alike (shared_reads.go).
	shared *gencache.Cache[sharedKey, keptShared]
	// viewers is the generation of what decides or shows a signed-in viewer, and sessions the
	// sessions kept under it (session_cache.go).
	viewers  keyedChanges
	sessions *sessionCache
	// readers is the generation of what members have read and watch (reader_changes.go).
	readers keyedChanges
	// catchUps are the markers this process's writers wait for (catch_up.go).
	catchUps *catchUps
	// site caches the site settings row (site_settings.go).
	site *siteCache
	// domains caches the domain rules (domain_policy_cache.go); canonicalHost spells hosts the one
	// way they are stored (Options.CanonicalHost); cancels is told of newly blocked domains.
	domains       *domainPolicyCache
	canonicalHost func(string) (string, error)
	cancels       atomic.Pointer[deliveryCancellerBox]
	// link makes a site path absolute (Options.Link).
	link func(path string) string
	// perPage is how many posts a thread page shows (Options.PostsPerPage).
	perPage int
	// postBudget bounds how fast a member posts (Options.PostsPerMinute); max 0: no bound.
	postBudget rateLimit
	// avatarSlots holds a token per avatar being decoded (avatarDecodes at most).
	avatarSlots chan struct{}
	// searchCandidates and searchTimeout bound a search (Options.SearchCandidates, SearchTimeout).
	searchCandidates int
	searchTimeout    time.Duration
}

// Options are the collaborators a Forum needs. Only DB and Secret are required.
type Options struct {
	// Secret keys the HMAC over stored HTML and seals private keys. At least 32 bytes; it comes
	// from the configuration, never from the database.
	Secret []byte
	// Federator is told about every activity recorded for federation. Nil: nothing is published.
	Federator Federator
	// Jobs runs background work (mail). Nil: such work is dropped with no error.
	Jobs Jobs
	// Markup renders Markdown and sanitises remote HTML. Nil: a plain-text fallback is used.
	Markup Markup
	// KeyGenerator makes actor key pairs. Nil: RSA-2048 from crypto/rand.
	KeyGenerator KeyGenerator
	// CanonicalHost spells a host name the one way Stoa stores and compares it (federation's
	// CanonicalHost: lower case, punycode, no trailing dot; refusing anything that is not a plain
	// host). Domain rules need it; nil refuses every domain rule.
	CanonicalHost func(host string) (string, error)
	// Link makes the absolute URL of a site path, for the mails a notification queues. With it, a
	// remote post's notifications are made in the transaction that stores the post (the inbox's
	// apply job, already off any request); without it, they go through a NotifyArgs job, whose
	// worker knows the site's address.
	Link func(path string) string
	// SharedCacheBytes bounds the memory of the shared reads (shared_reads.go): pages of posts
	// and lists of threads read once for every viewer while nothing changes. 0 keeps nothing.
	// They are kept only while ListenForChanges is subscribed.
	SharedCacheBytes int
	// PostsPerPage is how many posts a thread page shows (MinPostsPerPage to MaxPostsPerPage).
	// 0 is DefaultPostsPerPage.
	PostsPerPage int
	// PostsPerMinute is how many posts (threads and replies) a member may make in any minute;
	// staff are not counted. 0 is DefaultPostsPerMinute; negative sets no bound.
	PostsPerMinute int
	// SearchCandidates is how many of the newest matches a search ranks (0: SearchCandidates),
	// and SearchTimeout how long its statement may run (0: searchTimeout); tests make them small.
	SearchCandidates int
	SearchTimeout    time.Duration
}

// New returns a Forum over db.
func New(db *pgxpool.Pool, opts Options) (*Forum, error) {
	if db == nil {
		return nil, errors.New("forum: nil database pool")
	}
	s, err := deriveSecrets(opts.Secret)
	if err != nil {
		return nil, err
	}
	perPage := cmp.Or(opts.PostsPerPage, DefaultPostsPerPage)
	if perPage < MinPostsPerPage || perPage > MaxPostsPerPage {
		return nil, fmt.Errorf("forum: %d posts per page is outside %d-%d", perPage, MinPostsPerPage, MaxPostsPerPage)
	}
	f := &Forum{db: db, secrets: s, federator: opts.Federator, jobs: opts.Jobs, markup: opts.Markup, keys: opts.KeyGenerator,
		parsedKeys: &keyCache{keys: map[int64]SigningKey{}}, perms: newPermCache(), site: newSiteCache(),
		domains: newDomainPolicyCache(), canonicalHost: opts.CanonicalHost, link: opts.Link,
		shared: newSharedReads(opts.SharedCacheBytes), sessions: newSessionCache(), catchUps: newCatchUps(), perPage: perPage,
		postBudget:  rateLimit{"posts-member", time.Minute, max(cmp.Or(opts.PostsPerMinute, DefaultPostsPerMinute), 0)},
		avatarSlots: make(chan struct{}, avatarDecodes), searchCandidates: cmp.Or(opts.SearchCandidates, SearchCandidates),
		searchTimeout: cmp.Or(opts.SearchTimeout, searchTimeout)}
	if f.keys == nil {
		f.keys = RSAKeyGenerator{}
	}
	if f.markup == nil {
		f.markup = plainMarkup{}
	}
	return f, nil
}

// DB exposes the pool to the packages that own their own hook tables in the same database.
// Keep queries in this package: this accessor exists for transactions that span a forum call and a
// job insertion (River's InsertTx) made by the caller.
func (f *Forum) DB() *pgxpool.Pool { return f.db }

// inTx runs fn in a transaction, committing when it returns nil (without waiting for the WAL
// flush when ctx allows it: commit_mode.go). A transaction PostgreSQL ends to break a deadlock is
// run again, fn with it (retryConflicts): fn must set, not add to, what it shares with its caller.
func (f *Forum) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return retryConflicts(ctx, func() error { return f.inTxOnce(ctx, fn) })
}

func (f *Forum) inTxOnce(ctx context.Context, fn func(tx pgx.Tx) error) error {
	var opts pgx.TxOptions
	if deferredCommit(ctx) {
		// Sent with BEGIN as one simple-protocol query: one round trip fewer per transaction
		// (an apply job runs several).
		opts.BeginQuery = "BEGIN; SET LOCAL synchronous_commit = off"
	}
	// Whatever it wrote, a page made before it is not shown again (page_changes.go), nor a
	// session resumed before it (session_cache.go): a request's transaction returns once this
	// process has heard its triggers' notifications, which drop what it changed and keep the rest
	// (catch_up.go). Background work (a job) does not wait: no request waits on it, and its
	// notifications drop what it changed a moment after its commit (commit_mode.go).
	switch {
	case IsBackground(ctx):
		return pgx.BeginTxFunc(ctx, f.db, opts, fn)
	case f.pages.live.Load():
		return f.inTxCaughtUp(ctx, opts, fn)
	}
	if err := pgx.BeginTxFunc(ctx, f.db, opts, fn); err != nil {
		return err
	}
	f.changedHere() // no listener: nothing is kept, and this says so to what was
	return nil
}

// notFound turns pgx.ErrNoRows into ErrNotFound with context.
func notFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}
