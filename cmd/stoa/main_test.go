package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/internal/testdb"
	"github.com/stoa-forum/stoa/migrations"
)

// binary is the stoa command built once for the tests that run it as a real process.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "stoa-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "stoa")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build stoa: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const testSecret = "cmd-test-secret-0123456789abcdef0123"

// run executes the command in-process with the given environment and returns its exit code and output.
func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := execute(context.Background(), rootCommand(), &runEnv{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return env[k] }}, args)
	return code, stdout.String(), stderr.String()
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startServe(t *testing.T, dbURL string) (*exec.Cmd, string, *lockedBuffer) {
	t.Helper()
	addr := freePort(t)
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(),
		"STOA_DATABASE_URL="+dbURL, "STOA_SECRET_KEY="+testSecret, "STOA_LISTEN="+addr,
		"STOA_METRICS_LISTEN="+freePort(t), "STOA_PUBLIC_URL=http://"+addr)
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	return cmd, "http://" + addr, logs
}

func waitReady(t *testing.T, base string, logs *lockedBuffer) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("/readyz never answered 200; logs:\n%s", logs.String())
}

func TestServeMigratesAnEmptyDatabaseServesAndStopsCleanlyOnSIGTERM(t *testing.T) {
	t.Parallel()
	cmd, base, logs := startServe(t, testdb.NewEmptyURL(t))
	waitReady(t, base, logs)

	resp, err := http.Get(base + "/livez")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/livez: %v %v", resp, err)
	}
	resp.Body.Close()
	if id := resp.Header.Get("X-Request-Id"); id == "" {
		t.Error("no X-Request-Id on responses")
	}
	// A method no router knows gets the API's 405, with what the path takes.
	req, _ := http.NewRequest("PROPFIND", base+"/api/v1/latest", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") == "" || !strings.Contains(string(body), "method_not_allowed") {
			t.Errorf("PROPFIND /api/v1/latest: %d, Allow %q, %s", resp.StatusCode, resp.Header.Get("Allow"), body)
		}
	}

	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM; logs:\n%s", err, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("serve still running 10 s after SIGTERM; logs:\n%s", logs.String())
	}
	t.Logf("stopped %v after SIGTERM", time.Since(start))
	if !strings.Contains(logs.String(), "msg=stopped") {
		t.Errorf("no clean-stop log line:\n%s", logs.String())
	}
}

func TestServeRefusesASchemaNewerThanItKnows(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	if _, err := pool.Exec(context.Background(), "INSERT INTO schema_migrations (version, name) VALUES ($1, 'future')", migrations.Latest()+1); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(), "STOA_DATABASE_URL="+pool.Config().ConnString(), "STOA_SECRET_KEY="+testSecret,
		"STOA_LISTEN="+freePort(t), "STOA_METRICS_LISTEN=off")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("serve on a newer schema: err=%v, want exit 1\n%s", err, out)
	}
	if !strings.Contains(string(out), "newer than this binary") {
		t.Errorf("unclear refusal:\n%s", out)
	}
}

func TestBadConfigurationIsAClearErrorAtStartUp(t *testing.T) {
	t.Parallel()
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"STOA_PUBLIC_URL": "ftp://example.org"}, "STOA_PUBLIC_URL"},
		{map[string]string{"STOA_PUBLIC_URL": "https://example.org/forum"}, "no path"},
		{map[string]string{"STOA_LISTEN": "8080"}, "STOA_LISTEN"},
		{map[string]string{"STOA_LOG_FORMAT": "xml"}, "text or json"},
		{map[string]string{"STOA_UNSAFE_LOCAL_FEDERATION": "maybe"}, "STOA_UNSAFE_LOCAL_FEDERATION"},
		{map[string]string{"STOA_UNSAFE_HOST_MAP": "alpha.test=127.0.0.1:9"}, "needs STOA_UNSAFE_LOCAL_FEDERATION=1"},
		{map[string]string{"STOA_UNSAFE_LOCAL_FEDERATION": "1", "STOA_UNSAFE_HOST_MAP": "alpha.test=localhost"}, "STOA_UNSAFE_HOST_MAP"},
		{map[string]string{"STOA_DATABASE_URL": "mysql://x"}, "postgres://"},
		{map[string]string{"STOA_PPROF": "1", "STOA_METRICS_LISTEN": "off"}, "needs the metrics listener"},
		{map[string]string{"STOA_DATABASE_URL": "postgres://h/db", "STOA_SECRET_KEY": "short"}, "at least 32 bytes"},
		{map[string]string{"STOA_SECRET_KEY": testSecret}, "STOA_DATABASE_URL (or --database-url) is required"},
	}
	for _, c := range cases {
		code, _, stderr := run(t, c.env, "serve")
		if code != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("env %v: exit %d, stderr %q; want exit 1 mentioning %q", c.env, code, stderr, c.want)
		}
	}
	if code, _, stderr := run(t, nil, "serve", "--shutdown-timeout=0s", "--secret-key="+testSecret); code != 1 || !strings.Contains(stderr, "must be positive") {
		t.Errorf("flag value not validated: %d %q", code, stderr)
	}
}

func TestHelpAndUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--help"}, {"serve", "--help"}, {"migrate", "--help"}, {"admin", "--help"},
		{"admin", "user", "create", "--help"}, {"admin", "category", "create", "--help"}, {"version", "--help"}} {
		if code, stdout, _ := run(t, nil, args...); code != 0 || !strings.Contains(stdout, "Usage:") {
			t.Errorf("%v: exit %d, stdout %q", args, code, stdout)
		}
	}
	if code, _, stderr := run(t, nil, "frobnicate"); code != 2 || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, stderr)
	}
	if code, _, _ := run(t, nil, "serve", "--no-such-flag"); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
	if code, stdout, _ := run(t, nil, "version"); code != 0 || !strings.HasPrefix(stdout, "stoa ") {
		t.Errorf("version: %d %q", code, stdout)
	}
}

func TestAdminDemoSeedsOnlyAnEmptyDatabase(t *testing.T) {
	t.Parallel()
	env := map[string]string{"STOA_DATABASE_URL": testdb.NewURL(t), "STOA_SECRET_KEY": testSecret}
	code, out, stderr := run(t, env, "admin", "demo")
	if code != 0 || !strings.Contains(out, `created admin "demo_admin" with password `) || !strings.Contains(out, "welcome thread") {
		t.Fatalf("first demo: %d %q %q", code, out, stderr)
	}
	pool, err := pgxpool.New(context.Background(), env["STOA_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var threads, posts int
	if err := pool.QueryRow(context.Background(), `SELECT ct.thread_count, ct.post_count FROM categories c JOIN category_totals ct ON ct.id = c.id WHERE c.slug = 'general'`).Scan(&threads, &posts); err != nil || threads != 1 || posts != 1 {
		t.Fatalf("demo's general category: %d threads, %d posts (%v), want its welcome thread", threads, posts, err)
	}
	code, out, _ = run(t, env, "admin", "demo")
	if code != 0 || !strings.Contains(out, "nothing created") {
		t.Fatalf("second demo: %d %q", code, out)
	}
	code, out, stderr = run(t, env, "admin", "user", "create", "--username", "mod1", "--email", "mod1@example.test", "--password", "long enough pw", "--role", "moderator")
	if code != 0 || !strings.Contains(out, "created moderator mod1") {
		t.Fatalf("user create: %d %q %q", code, out, stderr)
	}
	code, _, stderr = run(t, env, "admin", "category", "create", "--slug", "mod1", "--title", "Clash")
	if code != 1 || !strings.Contains(stderr, "already taken") {
		t.Fatalf("category with a member's handle: %d %q", code, stderr)
	}
	code, out, _ = run(t, env, "admin", "category", "create", "--slug", "help_desk", "--title", "Help desk", "--parent", "general")
	if code != 0 || !strings.Contains(out, "created category help_desk") {
		t.Fatalf("sub-category: %d %q", code, out)
	}
}
