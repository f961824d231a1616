package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/rsasign"
)

// Config is everything the process is told at start-up, parsed once from flags and environment and
// then passed explicitly to what needs it. A flag wins over its environment variable.
type Config struct {
	DatabaseURL           string
	PublicURL             *url.URL
	Listen                string
	MetricsListen         string
	Pprof                 bool // net/http/pprof on the metrics listener (never on the public one)
	LogFormat             string
	LogLevel              slog.Level
	UnsafeLocalFederation bool
	UnsafeHostMap         map[string]string // host[:port] -> ip:port, honoured only with UnsafeLocalFederation
	AuthorizedFetch       bool
	Secret                []byte
	ShutdownTimeout       time.Duration
	SMTP                  SMTPConfig
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the client.
	TrustedProxies []netip.Prefix
	// QueryTiming counts and times each request's queries and reports them in a Server-Timing
	// header (internal/querytrace), for benchmarks.
	QueryTiming bool
	// GuestCacheBytes bounds the memory of the guests' page cache (web/page_cache.go); 0 turns
	// it off.
	GuestCacheBytes int
	// MemberCacheBytes bounds the memory of the members' page cache (web/member_cache.go); 0
	// turns it off.
	MemberCacheBytes int
	// SharedCacheBytes bounds the memory of what every viewer of a page reads alike
	// (forum/shared_reads.go); 0 turns it off.
	SharedCacheBytes int
	// PostsPerPage is how many posts a thread page shows (forum.Options.PostsPerPage).
	PostsPerPage int
	// PostsPerMinute bounds a member's posts in any minute (forum.Options.PostsPerMinute); 0: no bound.
	PostsPerMinute int
	// Delivery tunes the federation outbox and the job queue it runs on.
	Delivery DeliveryConfig
	// Inbox tunes the federation inboxes.
	Inbox InboxConfig
}

// InboxConfig tunes incoming federation (package inbox).
type InboxConfig struct {
	Rate    float64 // activities a second one remote domain may deliver, on average
	Workers int     // concurrent apply jobs in this process
	// ThreadSyncEvery is the least time between two syncs of a mirrored thread with its home.
	ThreadSyncEvery time.Duration
	// GiveWay is the longest an apply job waits, before each received activity, for a moment
	// with no HTTP request in flight (internal/giveway); 0 never waits.
	GiveWay time.Duration
	// ReplyGroup is how many received replies a batch apply job stores in one transaction.
	ReplyGroup int
}

// DeliveryConfig tunes outgoing federation (package outbox) and River.
type DeliveryConfig struct {
	Workers       int           // concurrent deliveries in this process
	PerHost       int           // concurrent deliveries to one host
	Timeout       time.Duration // one delivery request, from connecting to the answer
	FetchCooldown time.Duration // least time between two fetches of the delivery queue
	RSASigner     rsasign.Mode  // what signs federation requests (internal/rsasign)
	// RescueAfter is how long a job may run before River presumes its process died and runs it
	// again; every job's own timeout is kept below it.
	RescueAfter time.Duration
	// BackoffUnit scales the delivery retry schedule and circuit breaker (outbox.Options).
	BackoffUnit time.Duration
}

// SMTPConfig is the outgoing mail server; no host means mail is written to the log.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
}

// setting is one configuration knob: its flag, its environment variable, its default and how to
// store a parsed value. Keeping them in one table gives --help, the README table and validation one
// source.
type setting struct {
	flag, env, def, help string
	set                  func(c *Config, v string) error
}

var settings = []setting{
	{"database-url", "STOA_DATABASE_URL", "", "PostgreSQL URL (postgres://user:pass@host:port/db)", func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return errors.New("must be a postgres:// URL")
		}
		c.DatabaseURL = v
		return nil
	}},
	{"public-url", "STOA_PUBLIC_URL", "http://localhost:8080", "scheme://host[:port] used in every id and link", func(c *Config, v string) error {
		u, err := parsePublicURL(v)
		c.PublicURL = u
		return err
	}},
	{"listen", "STOA_LISTEN", ":8080", "address the web server listens on", func(c *Config, v string) error {
		if _, _, err := net.SplitHostPort(v); err != nil {
			return fmt.Errorf("must be host:port: %w", err)
		}
		c.Listen = v
		return nil
	}},
	{"metrics-listen", "STOA_METRICS_LISTEN", "127.0.0.1:9090", "address of the Prometheus metrics listener (\"off\" disables it)", func(c *Config, v string) error {
		if v != "off" {
			if _, _, err := net.SplitHostPort(v); err != nil {
				return fmt.Errorf("must be host:port or off: %w", err)
			}
		}
		c.MetricsListen = v
		return nil
	}},
	{"pprof", "STOA_PPROF", "0", "serve net/http/pprof under /debug/pprof/ on the metrics listener only", func(c *Config, v string) error {
		b, err := parseBool(v)
		c.Pprof = b
		return err
	}},
	{"log-format", "STOA_LOG_FORMAT", "text", "text or json", func(c *Config, v string) error {
		if v != "text" && v != "json" {
			return errors.New("must be text or json")
		}
		c.LogFormat = v
		return nil
	}},
	{"log-level", "STOA_LOG_LEVEL", "info", "debug, info, warn or error", func(c *Config, v string) error {
		return c.LogLevel.UnmarshalText([]byte(v))
	}},
	{"unsafe-local-federation", "STOA_UNSAFE_LOCAL_FEDERATION", "0", "let federation use plain HTTP and reach loopback/private addresses (local testing only)", func(c *Config, v string) error {
		b, err := parseBool(v)
		c.UnsafeLocalFederation = b
		return err
	}},
	{"unsafe-host-map", "STOA_UNSAFE_HOST_MAP", "", "host=ip:port,... pins federation hosts to local addresses (needs unsafe-local-federation)", func(c *Config, v string) error {
		m, err := federation.ParseHostMap(v)
		c.UnsafeHostMap = m
		return err
	}},
	{"authorized-fetch", "STOA_AUTHORIZED_FETCH", "0", "require signed GETs of ActivityStreams documents (secure mode)", func(c *Config, v string) error {
		b, err := parseBool(v)
		c.AuthorizedFetch = b
		return err
	}},
	{"secret-key", "STOA_SECRET_KEY", "", fmt.Sprintf("secret of at least %d bytes keying stored-HTML MACs and sealing private keys", forum.MinSecretLen), func(c *Config, v string) error {
		if v != "" {
			c.Secret = []byte(v)
		}
		return nil
	}},
	{"secret-key-file", "STOA_SECRET_KEY_FILE", "", "file holding the secret key (used when STOA_SECRET_KEY is empty)", func(c *Config, v string) error {
		if v == "" || c.Secret != nil {
			return nil
		}
		b, err := os.ReadFile(v)
		if err != nil {
			return err
		}
		c.Secret = []byte(strings.TrimSpace(string(b)))
		return nil
	}},
	{"shutdown-timeout", "STOA_SHUTDOWN_TIMEOUT", "8s", "how long shutdown waits for requests and jobs before cancelling them", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err == nil && d <= 0 {
			err = errors.New("must be positive")
		}
		c.ShutdownTimeout = d
		return err
	}},
	{"trusted-proxies", "STOA_TRUSTED_PROXIES", "", "comma-separated CIDRs or addresses of reverse proxies whose X-Forwarded-For is believed (empty: none)", func(c *Config, v string) error {
		ps, err := parsePrefixes(v)
		c.TrustedProxies = ps
		return err
	}},
	// Outgoing federation (package outbox). The defaults deliver about as fast as RSA signing
	// allows on a small machine (BENCHMARKS.md).
	{"delivery-workers", "STOA_DELIVERY_WORKERS", "400", "concurrent federation deliveries in this process (hosts that never answer each hold one until the delivery timeout)", func(c *Config, v string) error {
		n, err := boundedInt(v, 1, 10000)
		c.Delivery.Workers = n
		return err
	}},
	{"rsa-signer", "STOA_RSA_SIGNER", "auto", "what makes the RSA signatures of federation requests: auto (OpenSSL's libcrypto.so.3 when it loads, else Go's crypto/rsa), openssl (required) or go", func(c *Config, v string) error {
		c.Delivery.RSASigner = rsasign.Mode(v)
		switch c.Delivery.RSASigner {
		case rsasign.Auto, rsasign.OpenSSL, rsasign.Go:
			return nil
		}
		return fmt.Errorf("want auto, openssl or go, not %q", v)
	}},
	{"delivery-per-host", "STOA_DELIVERY_PER_HOST", "8", "concurrent federation deliveries to one host", func(c *Config, v string) error {
		n, err := boundedInt(v, 1, 100)
		c.Delivery.PerHost = n
		return err
	}},
	{"delivery-timeout", "STOA_DELIVERY_TIMEOUT", "30s", "longest a federation delivery may take, from connecting to the answer", func(c *Config, v string) error {
		d, err := boundedDuration(v, time.Second, 5*time.Minute)
		c.Delivery.Timeout = d
		return err
	}},
	{"queue-fetch-cooldown", "STOA_QUEUE_FETCH_COOLDOWN", "5ms", "least time between two fetches of a busy queue, and between two wake-ups of its workers by new jobs (River's FetchCooldown; the default 100ms caps throughput)", func(c *Config, v string) error {
		d, err := boundedDuration(v, time.Millisecond, time.Second)
		c.Delivery.FetchCooldown = d
		return err
	}},
	{"job-rescue-after", "STOA_JOB_RESCUE_AFTER", "5m", "a background job running this long is presumed lost with its process and run again", func(c *Config, v string) error {
		d, err := boundedDuration(v, 20*time.Second, 24*time.Hour)
		c.Delivery.RescueAfter = d
		return err
	}},
	{"delivery-backoff-unit", "STOA_DELIVERY_BACKOFF_UNIT", "1s", "unit of the delivery retry schedule (attempt^4 units) and of the circuit breaker (30 to 600 units); only tests shorten it", func(c *Config, v string) error {
		d, err := boundedDuration(v, 10*time.Millisecond, time.Minute)
		c.Delivery.BackoffUnit = d
		return err
	}},
	// Incoming federation (package inbox).
	{"inbox-rate", "STOA_INBOX_RATE", "100", "activities a second one remote domain may deliver on average (bursts of 4x are allowed; beyond, 429 with Retry-After)", func(c *Config, v string) error {
		n, err := boundedInt(v, 1, 100000)
		c.Inbox.Rate = float64(n)
		return err
	}},
	{"thread-sync-interval", "STOA_THREAD_SYNC_INTERVAL", "10m", "least time between two syncs of a thread mirrored from another server with its home (reading the thread asks for one)", func(c *Config, v string) error {
		d, err := boundedDuration(v, time.Second, 24*time.Hour)
		c.Inbox.ThreadSyncEvery = d
		return err
	}},
	{"inbox-workers", "STOA_INBOX_WORKERS", "auto", "concurrent jobs applying received activities in this process (auto: one per CPU, at least 2)", func(c *Config, v string) error {
		if v == "auto" {
			c.Inbox.Workers = defaultInboxWorkers()
			return nil
		}
		n, err := boundedInt(v, 1, 1000)
		c.Inbox.Workers = n
		return err
	}},
	{"inbox-give-way", "STOA_INBOX_GIVE_WAY", "20ms", "longest wait of the apply jobs, before each received activity, for a moment when no HTTP request is being served (0: never wait)", func(c *Config, v string) error {
		d, err := boundedDuration(v, 0, time.Second)
		c.Inbox.GiveWay = d
		return err
	}},
	{"inbox-reply-group", "STOA_INBOX_REPLY_GROUP", "16", "received replies an apply job stores in one transaction, when it has that many at once (1: each in its own)", func(c *Config, v string) error {
		n, err := boundedInt(v, 1, 256)
		c.Inbox.ReplyGroup = n
		return err
	}},
	{"guest-cache-mb", "STOA_GUEST_CACHE_MB", "64", "memory for the pages guests are shown, kept until what they show changes (0: no cache)", func(c *Config, v string) error {
		n, err := boundedInt(v, 0, 1<<16)
		c.GuestCacheBytes = n << 20
		return err
	}},
	{"member-cache-mb", "STOA_MEMBER_CACHE_MB", "64", "memory for the pages members are shown, kept until what they show or what is theirs changes (0: no cache)", func(c *Config, v string) error {
		n, err := boundedInt(v, 0, 1<<16)
		c.MemberCacheBytes = n << 20
		return err
	}},
	{"shared-cache-mb", "STOA_SHARED_CACHE_MB", "128", "memory for the posts and thread lists every viewer reads alike, kept until they change (0: none)", func(c *Config, v string) error {
		n, err := boundedInt(v, 0, 1<<16)
		c.SharedCacheBytes = n << 20
		return err
	}},
	{"posts-per-page", "STOA_POSTS_PER_PAGE", strconv.Itoa(forum.DefaultPostsPerPage), "posts a thread page shows (" + strconv.Itoa(forum.MinPostsPerPage) + "-" + strconv.Itoa(forum.MaxPostsPerPage) + "; every process of a site must agree, as page links depend on it)", func(c *Config, v string) error {
		n, err := boundedInt(v, forum.MinPostsPerPage, forum.MaxPostsPerPage)
		c.PostsPerPage = n
		return err
	}},
	{"posts-per-minute", "STOA_POSTS_PER_MINUTE", strconv.Itoa(forum.DefaultPostsPerMinute), "posts (threads and replies) a member may make in any minute, staff not counted; beyond, they are asked to wait (0: no bound)", func(c *Config, v string) error {
		n, err := boundedInt(v, 0, 10000)
		c.PostsPerMinute = n
		return err
	}},
	{"query-timing", "STOA_QUERY_TIMING", "0", "report each request's query count and time in a Server-Timing header (benchmarks; reveals internals)", func(c *Config, v string) error {
		b, err := parseBool(v)
		c.QueryTiming = b
		return err
	}},
	{"smtp-host", "STOA_SMTP_HOST", "", "SMTP server for outgoing mail (empty: mail is logged)", func(c *Config, v string) error { c.SMTP.Host = v; return nil }},
	{"smtp-port", "STOA_SMTP_PORT", "587", "SMTP port", func(c *Config, v string) error {
		p, err := strconv.Atoi(v)
		if err != nil || p <= 0 || p > 65535 {
			return errors.New("must be a port number")
		}
		c.SMTP.Port = p
		return nil
	}},
	{"smtp-username", "STOA_SMTP_USERNAME", "", "SMTP user", func(c *Config, v string) error { c.SMTP.Username = v; return nil }},
	{"smtp-password", "STOA_SMTP_PASSWORD", "", "SMTP password", func(c *Config, v string) error { c.SMTP.Password = v; return nil }},
	{"smtp-from", "STOA_SMTP_FROM", "", "From address of outgoing mail (default: stoa@<public host>)", func(c *Config, v string) error { c.SMTP.From = v; return nil }},
}

// registerConfigFlags adds every setting to fs and returns a function that, after fs.Parse, builds
// the Config from flags, then environment, then defaults.
func registerConfigFlags(fs *flag.FlagSet, getenv func(string) string) func() (*Config, error) {
	vals := make([]*string, len(settings))
	for i, s := range settings {
		vals[i] = fs.String(s.flag, "", fmt.Sprintf("%s (env %s, default %q)", s.help, s.env, s.def))
	}
	return func() (*Config, error) {
		c := &Config{}
		var errs []error
		for i, s := range settings {
			v := *vals[i]
			if v == "" {
				v = getenv(s.env)
			}
			if v == "" {
				v = s.def
			}
			if err := s.set(c, v); err != nil {
				errs = append(errs, fmt.Errorf("%s / --%s = %q: %w", s.env, s.flag, redactSetting(s, v), err))
			}
		}
		if len(c.UnsafeHostMap) > 0 && !c.UnsafeLocalFederation {
			errs = append(errs, errors.New("STOA_UNSAFE_HOST_MAP / --unsafe-host-map needs STOA_UNSAFE_LOCAL_FEDERATION=1"))
		}
		if c.Pprof && c.MetricsListen == "off" {
			errs = append(errs, errors.New("STOA_PPROF / --pprof needs the metrics listener (STOA_METRICS_LISTEN is off)"))
		}
		if c.SMTP.From == "" && c.PublicURL != nil {
			c.SMTP.From = "stoa@" + c.PublicURL.Hostname()
		}
		return c, errors.Join(errs...)
	}
}

func redactSetting(s setting, v string) string {
	if strings.Contains(s.env, "PASSWORD") || strings.Contains(s.env, "SECRET") {
		return "(redacted)"
	}
	if s.env == "STOA_DATABASE_URL" {
		if u, err := url.Parse(v); err == nil {
			return u.Redacted()
		}
		return "(redacted)"
	}
	return v
}

// requireDatabase and requireSecret are checked only by the commands that need them.
func (c *Config) requireDatabase() error {
	if c.DatabaseURL == "" {
		return errors.New("STOA_DATABASE_URL (or --database-url) is required; `make run` starts a local PostgreSQL and sets it")
	}
	return nil
}

func (c *Config) requireSecret() error {
	if len(c.Secret) < forum.MinSecretLen {
		return fmt.Errorf("STOA_SECRET_KEY or STOA_SECRET_KEY_FILE must give a secret of at least %d bytes (for example: head -c 32 /dev/urandom | base64)", forum.MinSecretLen)
	}
	return nil
}

func parsePublicURL(v string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSuffix(v, "/"))
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errors.New("scheme must be http or https")
	}
	if u.Host == "" || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("must be scheme://host[:port] with no path, query or user")
	}
	u.Host = strings.ToLower(u.Host)
	return u, nil
}

// parsePrefixes reads a comma-separated list of CIDRs; a bare address is its own /32 or /128.
func parsePrefixes(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a CIDR (10.0.0.0/8) nor an address", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off", "":
		return false, nil
	}
	return false, errors.New("must be 1/0, true/false, yes/no or on/off")
}

// boundedInt parses an integer within [lo, hi].
func boundedInt(v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("must be a whole number from %d to %d", lo, hi)
	}
	return n, nil
}

// boundedDuration parses a duration within [lo, hi].
func boundedDuration(v string, lo, hi time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		return 0, fmt.Errorf("must be a duration from %s to %s", lo, hi)
	}
	return d, nil
}

// defaultInboxWorkers is one apply job per CPU, at least 2. Applying is CPU work, in Stoa and,
// above all, in PostgreSQL (when this was chosen, about 3 ms of its CPU per reply against Stoa's
// 1.2; since then 1.7-2.8 ms against 0.9-1.4, BENCHMARKS.md); beyond a job per CPU the appliers
// queue on each other's row locks and on the CPUs, and take them from accepting (peers wait for
// their 202) and from the pages. Measured with the inbox benchmark on 2 CPUs, 3,000 replies: 8
// jobs accepted 460/s and applied 384/s with pages' p99 10-15x their idle p99; 2 jobs accepted
// 1,058-1,075/s and applied 388-403/s with 5-8x. A server whose PostgreSQL has CPUs of its own
// sets more.
func defaultInboxWorkers() int { return max(2, runtime.GOMAXPROCS(0)) }
