package main

import (
	"runtime"
	"strings"
	"testing"
	"time"
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

// The apply jobs give way to requests for at most 2 ms by default; 0 turns it off, and a wait
// longer than a second is refused.
func TestInboxGiveWaySetting(t *testing.T) {
	t.Parallel()
	cfg, err := buildDefault()
	if err != nil || cfg.Inbox.GiveWay != 2*time.Millisecond {
		t.Fatalf("default give-way %v (%v), want 2ms", cfg.Inbox.GiveWay, err)
	}
	if cfg, err := buildConfig(map[string]string{"STOA_INBOX_GIVE_WAY": "0"}); err != nil || cfg.Inbox.GiveWay != 0 {
		t.Fatalf("STOA_INBOX_GIVE_WAY=0 gave %v (%v)", cfg.Inbox.GiveWay, err)
	}
	if _, err := buildConfig(map[string]string{"STOA_INBOX_GIVE_WAY": "5s"}); err == nil {
		t.Fatal("STOA_INBOX_GIVE_WAY=5s was accepted")
	}
}

func TestGuestCacheSetting(t *testing.T) {
	t.Parallel()
	cfg, err := buildDefault()
	if err != nil || cfg.GuestCacheBytes != 64<<20 {
		t.Fatalf("default guest cache %d bytes (%v), want 64 MiB", cfg.GuestCacheBytes, err)
	}
	if cfg, err := buildConfig(map[string]string{"STOA_GUEST_CACHE_MB": "0"}); err != nil || cfg.GuestCacheBytes != 0 {
		t.Fatalf("STOA_GUEST_CACHE_MB=0 gave %d (%v)", cfg.GuestCacheBytes, err)
	}
	if _, err := buildConfig(map[string]string{"STOA_GUEST_CACHE_MB": "-1"}); err == nil {
		t.Fatal("STOA_GUEST_CACHE_MB=-1 was accepted")
	}
}

func TestSharedCacheSetting(t *testing.T) {
	t.Parallel()
	cfg, err := buildDefault()
	if err != nil || cfg.SharedCacheBytes != 128<<20 {
		t.Fatalf("default shared cache %d bytes (%v), want 128 MiB", cfg.SharedCacheBytes, err)
	}
	if cfg, err := buildConfig(map[string]string{"STOA_SHARED_CACHE_MB": "0"}); err != nil || cfg.SharedCacheBytes != 0 {
		t.Fatalf("STOA_SHARED_CACHE_MB=0 gave %d (%v)", cfg.SharedCacheBytes, err)
	}
	if _, err := buildConfig(map[string]string{"STOA_SHARED_CACHE_MB": "x"}); err == nil {
		t.Fatal("STOA_SHARED_CACHE_MB=x was accepted")
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
