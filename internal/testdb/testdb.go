// Package testdb gives each test (or test package) its own fresh, migrated PostgreSQL database.
//
// Databases are cloned from a template that is migrated once per schema (the template's name carries a
// hash of the embedded migrations), so a new database costs a file copy instead of a full migration,
// and packages can run in parallel without sharing rows. Tests fail, never skip, when no PostgreSQL
// is configured: `make test` starts the project-local one and sets STOA_DATABASE_URL.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/migrations"
)

// templateLock serialises template creation between test processes.
const templateLock = 0x570A_7E57

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// AdminURL is the database URL tests connect to in order to create their own databases:
// STOA_TEST_DATABASE_URL if set, else STOA_DATABASE_URL.
func AdminURL() (string, error) {
	for _, k := range []string{"STOA_TEST_DATABASE_URL", "STOA_DATABASE_URL"} {
		if v := os.Getenv(k); v != "" {
			return v, nil
		}
	}
	return "", errors.New("no database: set STOA_DATABASE_URL (run the tests with `make test`, which starts the project-local PostgreSQL)")
}

// NewURL creates a fresh migrated database, drops it when the test ends, and returns its URL.
func NewURL(tb testing.TB) string {
	tb.Helper()
	admin, err := AdminURL()
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tpl, err := ensureTemplate(ctx, admin)
	if err != nil {
		tb.Fatalf("test database template: %v", err)
	}
	name := "stoa_test_" + sanitize(tb.Name()) + "_" + randomSuffix()
	if err := createFromTemplate(ctx, admin, name, tpl); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() { dropDatabase(tb, admin, name) })
	return withDatabase(admin, name)
}

// NewEmptyURL creates an empty database (no migrations), dropped when the test ends, and returns its
// URL: for tests of migrating and of refusing to serve an unmigrated schema.
func NewEmptyURL(tb testing.TB) string {
	tb.Helper()
	admin, err := AdminURL()
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := "stoa_test_" + sanitize(tb.Name()) + "_" + randomSuffix()
	if err := createFromTemplate(ctx, admin, name, "template0"); err != nil {
		tb.Fatalf("create empty test database: %v", err)
	}
	tb.Cleanup(func() { dropDatabase(tb, admin, name) })
	return withDatabase(admin, name)
}

func dropDatabase(tb testing.TB, admin, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := execAdmin(ctx, admin, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", pgx.Identifier{name}.Sanitize())); err != nil {
		tb.Logf("drop test database %s: %v", name, err)
	}
}

// New creates a fresh migrated database and returns a pool on it, closed when the test ends.
func New(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	u := NewURL(tb)
	pool, err := pgxpool.New(context.Background(), u)
	if err != nil {
		tb.Fatalf("connect to test database: %v", err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

func ensureTemplate(ctx context.Context, admin string) (string, error) {
	templateOnce.Do(func() { templateName, templateErr = buildTemplate(ctx, admin) })
	return templateName, templateErr
}

// buildTemplate makes (once per schema, across processes) a database with every migration applied.
// It is built under a temporary name and renamed when complete, so a crash never leaves a
// half-migrated template behind for the next run to clone.
func buildTemplate(ctx context.Context, admin string) (string, error) {
	ms, err := migrations.All()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, m := range ms {
		fmt.Fprintf(h, "%d %s\n%s\n", m.Version, m.Name, m.SQL)
	}
	name := "stoa_tpl_" + hex.EncodeToString(h.Sum(nil))[:16]

	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", redact(admin), err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", templateLock); err != nil {
		return "", err
	}
	defer func() { _, _ = conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", templateLock) }()

	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_building"
	if _, err := conn.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", pgx.Identifier{building}.Sanitize())); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s", pgx.Identifier{building}.Sanitize())); err != nil {
		return "", err
	}
	pool, err := pgxpool.New(ctx, withDatabase(admin, building))
	if err != nil {
		return "", err
	}
	_, err = migrations.Up(ctx, pool)
	pool.Close()
	if err != nil {
		return "", fmt.Errorf("migrate template: %w", err)
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s",
		pgx.Identifier{building}.Sanitize(), pgx.Identifier{name}.Sanitize())); err != nil {
		return "", err
	}
	return name, nil
}

func createFromTemplate(ctx context.Context, admin, name, tpl string) error {
	stmt := fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", pgx.Identifier{name}.Sanitize(), pgx.Identifier{tpl}.Sanitize())
	// Two processes cloning the same template at the same instant can see "being accessed by other
	// users" (PostgreSQL briefly connects to the source); that passes, so try again.
	var err error
	for attempt := 0; attempt < 50; attempt++ {
		err = execAdmin(ctx, admin, stmt)
		var pgErr *pgconn.PgError
		if err == nil || !errors.As(err, &pgErr) || pgErr.Code != "55006" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	// Database-level settings are not copied from a template. Tests do not need durability against
	// a power cut, and commits without waiting for the WAL flush make them several times faster.
	return execAdmin(ctx, admin, fmt.Sprintf("ALTER DATABASE %s SET synchronous_commit = off", pgx.Identifier{name}.Sanitize()))
}

func execAdmin(ctx context.Context, admin, stmt string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", redact(admin), err)
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, stmt)
	return err
}

// withDatabase returns admin with its database name replaced.
func withDatabase(admin, name string) string {
	u, err := url.Parse(admin)
	if err != nil || u.Scheme == "" {
		// A keyword/value connection string.
		return admin + " dbname=" + name
	}
	u.Path = "/" + name
	return u.String()
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(database URL)"
	}
	return u.Redacted()
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 30 {
			break
		}
	}
	return b.String()
}

func randomSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
