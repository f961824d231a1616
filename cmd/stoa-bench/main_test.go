package main

import (
	"context"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/markup"
	"github.com/stoa-forum/stoa/internal/testdb"
)

// The whole benchmark on a small seeded database, with very short phases: a real server comes up,
// every page answers 200 with its queries reported, every query is explained, and the report
// shows all of it.
func TestBenchmarkRunsAgainstARealServer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	binary := filepath.Join(dir, "stoa")
	if out, err := exec.Command("go", "build", "-o", binary, "../stoa").CombinedOutput(); err != nil {
		t.Fatalf("build stoa: %v\n%s", err, out)
	}
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte("bench-test-secret-0123456789abcdef0123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dbURL := testdb.NewURL(t)
	listen := freeAddr(t)
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	base, _ := url.Parse("http://" + listen)
	f, err := forum.New(pool, forum.Options{Secret: []byte("bench-test-secret-0123456789abcdef0123"), Markup: markup.New(markup.Options{BaseURL: base})})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seed(context.Background(), forum.SeedOptions{Threads: 400, PostsPerThread: 8, Members: 30,
		Password: forum.SeedDefaultPassword}, nil); err != nil {
		t.Fatal(err)
	}

	c := config{stoa: binary, dbURL: dbURL, secretFile: secretFile, listen: listen, password: forum.SeedDefaultPassword,
		concurrency: 2, rounds: 1, duration: 300 * time.Millisecond, warmup: 100 * time.Millisecond, pacedShare: 0.5,
		members: 4, threads: 10, postsPerPage: forum.MinPostsPerPage, guestCacheMB: 8, memberCacheMB: 8, sharedCacheMB: 8, serverLog: filepath.Join(dir, "serve.log")}
	text, err := run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"GET /livez", "category page 1, guest", "category page 1, member", "category deep page, guest",
		"category deep page, member", "thread page, member", "thread page, guest", "thread JSON (API), guest", "| at most 5 queries per page | at most ",
		"`WITH me AS"} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q:\n%s", want, text)
		}
	}
	for _, bad := range []string{"failed requests", "explain failed"} {
		if strings.Contains(text, bad) {
			t.Errorf("the report shows %q:\n%s", bad, text)
		}
	}
	// Every page but the baseline reports its queries from Server-Timing, and how many of its
	// answers came from a page cache: some of a guest's list, and of a member's, which they reload.
	for _, line := range strings.Split(text, "\n") {
		if (strings.HasPrefix(line, "| category") || strings.HasPrefix(line, "| thread")) && strings.Contains(line, "| – |") {
			t.Errorf("a page without query counts: %s", line)
		}
		if (strings.HasPrefix(line, "| category page 1, guest |") || strings.HasPrefix(line, "| category page 1, member |")) &&
			strings.Contains(line, "| 0% |") {
			t.Errorf("a list never came from the cache: %s", line)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
