package forum_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func TestCreateMemberValidatesInput(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	cases := []struct {
		name  string
		in    forum.NewMember
		field string
	}{
		{"empty username", forum.NewMember{Username: "", Email: "a@example.test", Password: "long enough pw"}, "username"},
		{"too long", forum.NewMember{Username: strings.Repeat("a", 31), Email: "a@example.test", Password: "long enough pw"}, "username"},
		{"bad chars", forum.NewMember{Username: "al-ice", Email: "a@example.test", Password: "long enough pw"}, "username"},
		{"reserved", forum.NewMember{Username: "Admin", Email: "a@example.test", Password: "long enough pw"}, "username"},
		{"bad email", forum.NewMember{Username: "alice", Email: "not an email", Password: "long enough pw"}, "email"},
		{"short password", forum.NewMember{Username: "alice", Email: "a@example.test", Password: "short"}, "password"},
	}
	for _, c := range cases {
		_, err := f.CreateMember(ctx, c.in)
		var ve *forum.ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: got %v, want a validation error", c.name, err)
			continue
		}
		if ve.Problems[0].Field != c.field {
			t.Errorf("%s: problem on %q, want %q (%v)", c.name, ve.Problems[0].Field, c.field, ve)
		}
	}
}

func TestHandlesShareOneNamespaceCaseInsensitively(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	forumtest.Member(t, f, "Alice", forum.RoleMember)

	_, err := f.CreateMember(ctx, forum.NewMember{Username: "ALICE", Email: "other@example.test", Password: "long enough pw"})
	var ve *forum.ValidationError
	if !errors.As(err, &ve) || ve.Problems[0].Field != "username" {
		t.Fatalf("second alice: got %v, want username taken", err)
	}
	_, err = f.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "alice", Title: "Alice's corner"})
	if !errors.As(err, &ve) || ve.Problems[0].Field != "slug" {
		t.Fatalf("category named like a member: got %v, want slug taken", err)
	}
	if _, err := f.CreateCategory(ctx, forumtest.Admin, forum.NewCategory{Slug: "general", Title: "General"}); err != nil {
		t.Fatal(err)
	}
	_, err = f.CreateMember(ctx, forum.NewMember{Username: "General", Email: "g@example.test", Password: "long enough pw"})
	if !errors.As(err, &ve) || ve.Problems[0].Field != "username" {
		t.Fatalf("member named like a category: got %v, want username taken", err)
	}
}

func TestEmailIsUniqueCaseInsensitively(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	forumtest.Member(t, f, "bob", forum.RoleMember) // bob@example.test
	_, err := f.CreateMember(ctx, forum.NewMember{Username: "bobby", Email: "BOB@example.test", Password: "long enough pw"})
	var ve *forum.ValidationError
	if !errors.As(err, &ve) || ve.Problems[0].Field != "email" {
		t.Fatalf("got %v, want email taken", err)
	}
}

func TestPasswordHashIsArgon2idAndChecks(t *testing.T) {
	t.Parallel()
	h, err := forum.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q lacks the expected argon2id parameters", h)
	}
	if ok, err := forum.CheckPassword(h, "correct horse battery"); err != nil || !ok {
		t.Fatalf("right password: ok=%v err=%v", ok, err)
	}
	if ok, _ := forum.CheckPassword(h, "correct horse batterz"); ok {
		t.Fatal("wrong password accepted")
	}
}

func TestSigningKeyIsSealedAndRoundTrips(t *testing.T) {
	t.Parallel()
	f, pool := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	m := forumtest.Member(t, f, "carol", forum.RoleMember)

	k, err := f.SigningKey(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(k.PublicKeyPEM, "-----BEGIN PUBLIC KEY-----") || k.Private == nil {
		t.Fatalf("unexpected key %+v", k.PublicKeyPEM)
	}
	var sealed []byte
	if err := pool.QueryRow(ctx, "SELECT private_key_sealed FROM actor_keys WHERE actor_id = $1", m.ID).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(sealed), "PRIVATE KEY") || len(sealed) < 1000 {
		t.Fatalf("private key stored in the clear or truncated (%d bytes)", len(sealed))
	}

	// The same database opened with another secret cannot use the key.
	other := forumtest.NewOn(t, pool, forum.Options{Secret: []byte("a-different-secret-0123456789abcdef")})
	if _, err := other.SigningKey(ctx, m.ID); err == nil {
		t.Fatal("key opened with the wrong secret")
	}
}

func TestCreateMemberWithAPrecomputedHash(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	h, err := forum.HashPassword("a password made earlier")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.CreateMember(ctx, forum.NewMember{Username: "hashed", Email: "h@example.test", PasswordHash: h}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Login(ctx, forum.LoginInput{Login: "hashed", Password: "a password made earlier"}); err != nil {
		t.Fatalf("login with the precomputed hash's password: %v", err)
	}
	_, err = f.CreateMember(ctx, forum.NewMember{Username: "bogus", Email: "b@example.test", PasswordHash: "$2a$10$notargon"})
	var ve *forum.ValidationError
	if !errors.As(err, &ve) || ve.Problems[0].Field != "password" {
		t.Fatalf("a non-argon2id hash was accepted: %v", err)
	}
}
