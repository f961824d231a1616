package forum_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func TestAccessTokensAreHashedListedAndRevocable(t *testing.T) {
	t.Parallel()
	f, pool := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	m := forumtest.Member(t, f, "dev", forum.RoleMember)
	other := forumtest.Member(t, f, "other", forum.RoleMember)
	v := m.Viewer()

	tok, secret, err := f.CreateAccessToken(ctx, v, m.ID, "  my\tscript  ")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, forum.AccessTokenPrefix) || tok.Name != "my script" || tok.LastUsedAt != nil {
		t.Fatalf("token %+v secret %q", tok, secret)
	}
	var stored []byte
	if err := pool.QueryRow(ctx, "SELECT token_hash FROM access_tokens WHERE id = $1", tok.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256([]byte(secret)); !bytes.Equal(stored, sum[:]) {
		t.Fatal("stored value is not the token's SHA-256")
	}

	got, err := f.ViewerByAccessToken(ctx, secret)
	if err != nil || got.ActorID != m.ID || got.Username != "dev" {
		t.Fatalf("viewer %+v, %v", got, err)
	}
	list, err := f.AccessTokens(ctx, v)
	if err != nil || len(list) != 1 || list[0].LastUsedAt == nil {
		t.Fatalf("list %+v (%v): want one token with last use recorded", list, err)
	}
	for _, bad := range []string{"", "stoa_pat_", "Bearer " + secret, strings.TrimPrefix(secret, forum.AccessTokenPrefix), secret[:len(secret)-2] + "AA"} {
		if _, err := f.ViewerByAccessToken(ctx, bad); !errors.Is(err, forum.ErrUnauthorized) {
			t.Errorf("token %q: %v", bad, err)
		}
	}

	var ve *forum.ValidationError
	if _, _, err := f.CreateAccessToken(ctx, v, m.ID, " "); !errors.As(err, &ve) {
		t.Fatalf("nameless token: %v", err)
	}
	if _, _, err := f.CreateAccessToken(ctx, other.Viewer(), m.ID, "theft"); !errors.Is(err, forum.ErrForbidden) {
		t.Fatalf("token for someone else: %v", err)
	}
	if _, _, err := f.CreateAccessToken(ctx, forum.Guest, m.ID, "anon"); !errors.Is(err, forum.ErrUnauthorized) {
		t.Fatalf("guest: %v", err)
	}
	if err := f.RevokeAccessToken(ctx, other.Viewer(), tok.ID); !errors.Is(err, forum.ErrNotFound) {
		t.Fatalf("revoking someone else's token: %v", err)
	}
	if err := f.RevokeAccessToken(ctx, v, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ViewerByAccessToken(ctx, secret); !errors.Is(err, forum.ErrUnauthorized) {
		t.Fatalf("revoked token: %v", err)
	}
	// The console (an admin viewer with no actor) may make a token for anyone.
	if _, _, err := f.CreateAccessToken(ctx, forum.Viewer{Role: forum.RoleAdmin}, m.ID, "ops"); err != nil {
		t.Fatalf("console token: %v", err)
	}
}

// A new password locks out whoever had the old one, tokens they made included: changing it
// (from a session) and resetting it (from a mailed link) both revoke every access token.
func TestANewPasswordRevokesTheAccessTokens(t *testing.T) {
	t.Parallel()
	jobs := &queuedJobs{}
	f, _ := forumtest.New(t, forum.Options{Jobs: jobs})
	ctx := context.Background()
	m := forumtest.Member(t, f, "tess", forum.RoleMember)
	_, first, err := f.CreateAccessToken(ctx, m.Viewer(), m.ID, "bot")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ViewerByAccessToken(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := f.ChangePassword(ctx, m.Viewer(), testPassword, "a brand new password", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ViewerByAccessToken(ctx, first); !errors.Is(err, forum.ErrUnauthorized) {
		t.Fatalf("a token made before the password change still works: %v", err)
	}
	_, second, err := f.CreateAccessToken(ctx, m.Viewer(), m.ID, "bot again")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.RequestPasswordReset(ctx, m.Email, testClient, resetLink); err != nil {
		t.Fatal(err)
	}
	if err := f.ResetPassword(ctx, tokenFromMail(t, jobs.mails()[0]), "yet another password"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ViewerByAccessToken(ctx, second); !errors.Is(err, forum.ErrUnauthorized) {
		t.Fatalf("a token made before the password reset still works: %v", err)
	}
}
