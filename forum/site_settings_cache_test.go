package forum

import (
	"context"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/internal/testdb"
)

// Settings changed by another process: past the TTL the copy is still served, and reloaded in the
// background, so the page that finds it stale pays no query; past siteSettingsMaxAge a request
// loads them itself.
func TestStaleSiteSettingsAreReloadedInTheBackground(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	f, err := New(pool, Options{Secret: []byte("site-test-secret-0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rename := func(name string) {
		t.Helper()
		if _, err := pool.Exec(ctx, `UPDATE site_settings SET site_name = $1`, name); err != nil {
			t.Fatal(err)
		}
	}
	name := func() string {
		t.Helper()
		s, err := f.SiteSettings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return s.SiteName
	}
	rename("First")
	if got := name(); got != "First" {
		t.Fatalf("site name %q", got)
	}
	rename("Second") // by another process: this one is not told
	f.site.age(siteSettingsTTL + time.Second)
	if got := name(); got != "First" {
		t.Fatalf("a stale copy was not served as it is: %q", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for name() != "Second" {
		if time.Now().After(deadline) {
			t.Fatal("the stale copy was not reloaded in the background")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for f.site.reloading.Load() {
		time.Sleep(time.Millisecond)
	}
	rename("Third")
	f.site.age(f.site.maxAge + time.Second)
	if got := name(); got != "Third" {
		t.Fatalf("a copy older than its max age was served: %q", got)
	}
}
