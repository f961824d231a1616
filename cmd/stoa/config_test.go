package main

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/rsasign"
)

func TestTrustedProxiesSetting(t *testing.T) {
	t.Parallel()
	cfg, err := buildConfig(map[string]string{"STOA_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1 ,2001:db8::/32"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range cfg.TrustedProxies {
		got = append(got, p.String())
	}
	if strings.Join(got, " ") != "10.0.0.0/8 192.0.2.1/32 2001:db8::/32" {
		t.Fatalf("parsed %v", got)
	}
	if code, _, stderr := run(t, map[string]string{"STOA_TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal"}, "serve"); code != 1 || !strings.Contains(stderr, "STOA_TRUSTED_PROXIES") {
		t.Fatalf("bad proxy list: %d %q", code, stderr)
	}
	if cfg, err := buildDefault(); err != nil || len(cfg.TrustedProxies) != 0 {
		t.Fatalf("default trusts %v (%v), want nobody", cfg.TrustedProxies, err)
	}
}

// The inbox's apply jobs default to one per CPU (at least 2); a number sets them, and anything
// else is refused by name.
func TestInboxWorkersSetting(t *testing.T) {
	t.Parallel()
	cfg, err := buildDefault()
	if err != nil {
		t.Fatal(err)
	}
	if want := max(2, runtime.GOMAXPROCS(0)); cfg.Inbox.Workers != want {
		t.Fatalf("default apply jobs %d, want %d", cfg.Inbox.Workers, want)
	}
	if cfg, err := buildConfig(map[string]string{"STOA_INBOX_WORKERS": "12"}); err != nil || cfg.Inbox.Workers != 12 {
		t.Fatalf("STOA_INBOX_WORKERS=12 gave %+v (%v)", cfg, err)
	}
	if code, _, stderr := run(t, map[string]string{"STOA_INBOX_WORKERS": "many"}, "serve"); code != 1 || !strings.Contains(stderr, "STOA_INBOX_WORKERS") {
		t.Fatalf("STOA_INBOX_WORKERS=many: %d %q", code, stderr)
	}
}

// The apply jobs give way to requests for at most 20 ms by default; 0 turns it off, and a wait
// longer than a second is refused.
func TestInboxGiveWaySetting(t *testing.T) {
	t.Parallel()
	cfg, err := buildDefault()
	if err != nil || cfg.Inbox.GiveWay != 20*time.Millisecond {
		t.Fatalf("default give-way %v (%v), want 20ms", cfg.Inbox.GiveWay, err)
	}
	if cfg, err := buildConfig(map[string]string{"STOA_INBOX_GIVE_WAY": "0"}); err != nil || cfg.Inbox.GiveWay != 0 {
		t.Fatalf("STOA_INBOX_GIVE_WAY=0 gave %v (%v)", cfg.Inbox.GiveWay, err)
	}
	if _, err := buildConfig(map[string]string{"STOA_INBOX_GIVE_WAY": "5s"}); err == nil {
		t.Fatal("STOA_INBOX_GIVE_WAY=5s was accepted")
	}
}

// Received replies are stored 16 to a transaction by default; 1 stores each alone, 0 is refused.
func TestInboxReplyGroupSetting(t *testing.T) {
	t.Parallel()
	cfg, err := buildDefault()
	if err != nil || cfg.Inbox.ReplyGroup != 16 {
		t.Fatalf("default reply group %d (%v), want 16", cfg.Inbox.ReplyGroup, err)
	}
	if cfg, err := buildConfig(map[string]string{"STOA_INBOX_REPLY_GROUP": "1"}); err != nil || cfg.Inbox.ReplyGroup != 1 {
		t.Fatalf("STOA_INBOX_REPLY_GROUP=1 gave %d (%v)", cfg.Inbox.ReplyGroup, err)
	}
	if _, err := buildConfig(map[string]string{"STOA_INBOX_REPLY_GROUP": "0"}); err == nil {
		t.Fatal("STOA_INBOX_REPLY_GROUP=0 was accepted")
	}
}

// Members may post 10 times a minute by default; 0 sets no bound (forum.Options takes it as -1).
func TestPostsPerMinuteSetting(t *testing.T) {
	t.Parallel()
	cfg, err := buildDefault()
	if err != nil || cfg.PostsPerMinute != forum.DefaultPostsPerMinute {
		t.Fatalf("default posts a minute %d (%v), want %d", cfg.PostsPerMinute, err, forum.DefaultPostsPerMinute)
	}
	if cfg, err := buildConfig(map[string]string{"STOA_POSTS_PER_MINUTE": "0"}); err != nil || cfg.PostsPerMinute != 0 {
		t.Fatalf("STOA_POSTS_PER_MINUTE=0 gave %d (%v)", cfg.PostsPerMinute, err)
	}
	if _, err := buildConfig(map[string]string{"STOA_POSTS_PER_MINUTE": "-1"}); err == nil {
		t.Fatal("STOA_POSTS_PER_MINUTE=-1 was accepted")
	}
}

func TestCacheSettings(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		env       string
		defaultMB int
		bytes     func(*Config) int
	}{
		{"STOA_GUEST_CACHE_MB", 64, func(c *Config) int { return c.GuestCacheBytes }},
		{"STOA_MEMBER_CACHE_MB", 64, func(c *Config) int { return c.MemberCacheBytes }},
		{"STOA_SHARED_CACHE_MB", 128, func(c *Config) int { return c.SharedCacheBytes }},
	} {
		cfg, err := buildDefault()
		if err != nil {
			t.Fatal(err)
		}
		if c.bytes(cfg) != c.defaultMB<<20 {
			t.Fatalf("%s: default %d bytes, want %d MiB", c.env, c.bytes(cfg), c.defaultMB)
		}
		if cfg, err = buildConfig(map[string]string{c.env: "0"}); err != nil || c.bytes(cfg) != 0 {
			t.Fatalf("%s=0 gave %v (%v)", c.env, cfg, err)
		}
		for _, bad := range []string{"-1", "x"} {
			if _, err := buildConfig(map[string]string{c.env: bad}); err == nil {
				t.Fatalf("%s=%s was accepted", c.env, bad)
			}
		}
	}
}

func TestPostsPerPageSetting(t *testing.T) {
	t.Parallel()
	cfg, err := buildDefault()
	if err != nil || cfg.PostsPerPage != forum.DefaultPostsPerPage {
		t.Fatalf("default: %v, %d posts a page", err, cfg.PostsPerPage)
	}
	if cfg, err = buildConfig(map[string]string{"STOA_POSTS_PER_PAGE": "50"}); err != nil || cfg.PostsPerPage != 50 {
		t.Fatalf("STOA_POSTS_PER_PAGE=50: %v, %d posts a page", err, cfg.PostsPerPage)
	}
	for _, bad := range []string{"9", "101", "x"} {
		if _, err := buildConfig(map[string]string{"STOA_POSTS_PER_PAGE": bad}); err == nil {
			t.Errorf("STOA_POSTS_PER_PAGE=%q was accepted", bad)
		}
	}
}

// buildConfig is the configuration serve would build from env and no flags.
func buildConfig(env map[string]string) (*Config, error) {
	fs := newFlagSet("t", "", "", &runEnv{stdout: &strings.Builder{}, stderr: &strings.Builder{}})
	build := registerConfigFlags(fs, func(k string) string { return env[k] })
	if err := fs.Parse(nil); err != nil {
		return nil, err
	}
	return build()
}

func buildDefault() (*Config, error) { return buildConfig(nil) }

func TestRSASignerSetting(t *testing.T) {
	cfg, err := buildConfig(nil)
	if err != nil || cfg.Delivery.RSASigner != rsasign.Auto {
		t.Fatalf("default rsa signer %q (%v), want auto", cfg.Delivery.RSASigner, err)
	}
	if cfg, err := buildConfig(map[string]string{"STOA_RSA_SIGNER": "go"}); err != nil || cfg.Delivery.RSASigner != rsasign.Go {
		t.Fatalf("STOA_RSA_SIGNER=go gave %q (%v)", cfg.Delivery.RSASigner, err)
	}
	if _, err := buildConfig(map[string]string{"STOA_RSA_SIGNER": "fast"}); err == nil {
		t.Fatal("STOA_RSA_SIGNER=fast was accepted")
	}
}
