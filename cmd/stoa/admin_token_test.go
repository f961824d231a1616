package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/testdb"
)

func TestAdminTokenCreatePrintsOnlyTheToken(t *testing.T) {
	t.Parallel()
	dbURL := testdb.NewURL(t)
	env := map[string]string{"STOA_DATABASE_URL": dbURL, "STOA_SECRET_KEY": testSecret}
	if code, _, stderr := run(t, env, "admin", "user", "create", "--username", "robot", "--email", "robot@example.test", "--password", "long enough pw"); code != 0 {
		t.Fatalf("user create: %d %s", code, stderr)
	}

	// As a real process, the way a script would call it: stdout is the token and a newline.
	cmd := exec.Command(binary, "admin", "token", "create", "--username", "ROBOT", "--name", "deploy bot")
	cmd.Env = append(os.Environ(), "STOA_DATABASE_URL="+dbURL, "STOA_SECRET_KEY="+testSecret, "STOA_LOG_LEVEL=debug")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("token create: %v\n%s", err, stderr.String())
	}
	token := strings.TrimSuffix(string(out), "\n")
	if strings.ContainsAny(token, "\n \t") || !strings.HasPrefix(token, forum.AccessTokenPrefix) || len(out) != len(token)+1 {
		t.Fatalf("stdout %q: want exactly one line holding the token", out)
	}

	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	f, err := forum.New(pool, forum.Options{Secret: []byte(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.ViewerByAccessToken(context.Background(), token)
	if err != nil || v.Username != "robot" {
		t.Fatalf("printed token signs in as %+v (%v)", v, err)
	}
	toks, err := f.AccessTokens(context.Background(), v)
	if err != nil || len(toks) != 1 || toks[0].Name != "deploy bot" {
		t.Fatalf("tokens %+v (%v)", toks, err)
	}

	if code, stdout, stderr := run(t, env, "admin", "token", "create", "--username", "nobody"); code != 1 || stdout != "" || !strings.Contains(stderr, "not found") {
		t.Fatalf("unknown member: %d %q %q", code, stdout, stderr)
	}
	if code, stdout, stderr := run(t, env, "admin", "token", "create"); code != 1 || stdout != "" || !strings.Contains(stderr, "--username is required") {
		t.Fatalf("no username: %d %q %q", code, stdout, stderr)
	}
}

func TestTrustedProxiesSetting(t *testing.T) {
	t.Parallel()
	fs := newFlagSet("t", "", "", &runEnv{stdout: &strings.Builder{}, stderr: &strings.Builder{}})
	build := registerConfigFlags(fs, func(k string) string {
		if k == "STOA_TRUSTED_PROXIES" {
			return "10.0.0.0/8, 192.0.2.1 ,2001:db8::/32"
		}
		return ""
	})
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	cfg, err := build()
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

func buildDefault() (*Config, error) {
	fs := newFlagSet("t", "", "", &runEnv{stdout: &strings.Builder{}, stderr: &strings.Builder{}})
	build := registerConfigFlags(fs, func(string) string { return "" })
	if err := fs.Parse(nil); err != nil {
		return nil, err
	}
	return build()
}
