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
