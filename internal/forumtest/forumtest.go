// Package forumtest builds a *forum.Forum on a fresh test database, with what tests need to be fast:
// one RSA key generated per test process and shared by every actor (a 2048-bit key takes tens of
// milliseconds to make; signatures stay real), and a fixed secret.
package forumtest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/testdb"
)

// Secret is the configuration secret test forums use.
var Secret = []byte("forumtest-secret-0123456789abcdef-0123456789")

var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
	keyErr  error
)

// SharedKey is the key pair every test actor gets.
func SharedKey() (*rsa.PrivateKey, error) {
	keyOnce.Do(func() { key, keyErr = rsa.GenerateKey(rand.Reader, 2048) })
	return key, keyErr
}

// KeyGenerator hands out SharedKey.
type KeyGenerator struct{}

// GenerateKey implements forum.KeyGenerator.
func (KeyGenerator) GenerateKey() (*rsa.PrivateKey, error) { return SharedKey() }

// New returns a Forum on its own fresh database. opts may set hooks; DB, Secret and KeyGenerator
// are filled in, and members' posts are not rate-limited unless opts.PostsPerMinute says so.
func New(tb testing.TB, opts forum.Options) (*forum.Forum, *pgxpool.Pool) {
	tb.Helper()
	pool := testdb.New(tb)
	return NewOn(tb, pool, opts), pool
}

// NewOn returns a Forum on an existing test pool.
func NewOn(tb testing.TB, pool *pgxpool.Pool, opts forum.Options) *forum.Forum {
	tb.Helper()
	if opts.Secret == nil {
		opts.Secret = Secret
	}
	if opts.KeyGenerator == nil {
		opts.KeyGenerator = KeyGenerator{}
	}
	if opts.PostsPerMinute == 0 {
		// Tests write many posts in a moment; the one that tests the bound sets its own.
		opts.PostsPerMinute = -1
	}
	f, err := forum.New(pool, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// Admin is the viewer tests use for admin-only calls.
var Admin = forum.Viewer{ActorID: -1, Username: "test_admin", Role: forum.RoleAdmin}

// Password is the password of every member Member creates.
const Password = "correct horse battery"

var (
	hashOnce sync.Once
	hash     string
	hashErr  error
)

// passwordHash is Password hashed once per test process: argon2id is deliberately slow, and
// creating members is not what most tests are about.
func passwordHash() (string, error) {
	hashOnce.Do(func() { hash, hashErr = forum.HashPassword(Password) })
	return hash, hashErr
}

// Member creates a member whose password is Password and returns it.
func Member(tb testing.TB, f *forum.Forum, username string, role forum.Role) forum.Member {
	tb.Helper()
	h, err := passwordHash()
	if err != nil {
		tb.Fatal(err)
	}
	m, err := f.CreateMember(context.Background(), forum.NewMember{
		Username: username, Email: username + "@example.test", PasswordHash: h, Role: role,
	})
	if err != nil {
		tb.Fatalf("create member %s: %v", username, err)
	}
	return m
}

// WithoutTriggers runs fn with a table's triggers off: what fn changes there, no process is told
// of (the change notifications of forum/page_changes.go and its kin), so a test can tell a read
// kept in memory from one made afresh.
func WithoutTriggers(tb testing.TB, pool *pgxpool.Pool, table string, fn func()) {
	tb.Helper()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `ALTER TABLE `+pgx.Identifier{table}.Sanitize()+` DISABLE TRIGGER USER`); err != nil {
		tb.Fatal(err)
	}
	defer func() {
		if _, err := pool.Exec(ctx, `ALTER TABLE `+pgx.Identifier{table}.Sanitize()+` ENABLE TRIGGER USER`); err != nil {
			tb.Fatal(err)
		}
	}()
	fn()
}
