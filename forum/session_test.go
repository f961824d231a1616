package forum_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func TestLoginStartsASessionWhoseTokenIsStoredOnlyAsAHash(t *testing.T) {
	t.Parallel()
	f, pool := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	alice := forumtest.Member(t, f, "alice", forum.RoleMember)

	ns := login(t, f, "alice")
	if ns.Token == "" || ns.Member.ID != alice.ID || ns.Session.UserAgent != "TestBrowser/1.0" || ns.Session.IP != "198.51.100.7" {
		t.Fatalf("unexpected session %+v", ns)
	}
	var stored []byte
	if err := pool.QueryRow(ctx, "SELECT token_hash FROM sessions WHERE id = $1", ns.Session.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(ns.Token))
	if !bytes.Equal(stored, sum[:]) || bytes.Contains(stored, []byte(ns.Token)) {
		t.Fatalf("stored %x, want the SHA-256 of the token only", stored)
	}

	s, v, err := f.ResumeSession(ctx, ns.Token)
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != ns.Session.ID || v.ActorID != alice.ID || v.Username != "alice" || v.Role != forum.RoleMember {
		t.Fatalf("resumed %+v as %+v", s, v)
	}
	// Login by e-mail address works too, and gives a different session (a fresh id per sign-in).
	ns2, err := f.Login(ctx, forum.LoginInput{Login: "ALICE@example.test", Password: testPassword, Client: testClient})
	if err != nil {
		t.Fatal(err)
	}
	if ns2.Token == ns.Token || ns2.Session.ID == ns.Session.ID {
		t.Fatal("a second sign-in reused the session")
	}

	// The last character replaced by a different one (tokens are random: it may already be "A").
	last := "A"
	if strings.HasSuffix(ns.Token, "A") {
		last = "B"
	}
	for _, bad := range []string{"", "nonsense", ns.Token + "x", ns.Token[:len(ns.Token)-1] + last} {
		if _, _, err := f.ResumeSession(ctx, bad); !errors.Is(err, forum.ErrUnauthorized) {
			t.Errorf("token %q: got %v, want ErrUnauthorized", bad, err)
		}
	}

	if err := f.Logout(ctx, ns.Token); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.ResumeSession(ctx, ns.Token); !errors.Is(err, forum.ErrUnauthorized) {
		t.Fatalf("after logout: %v", err)
	}
	if _, _, err := f.ResumeSession(ctx, ns2.Token); err != nil {
		t.Fatalf("logout ended the other session too: %v", err)
	}
}

func TestExpiredSessionsAreRefusedAndPruned(t *testing.T) {
	t.Parallel()
	f, pool := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	forumtest.Member(t, f, "bob", forum.RoleMember)
	ns := login(t, f, "bob")
	if _, err := pool.Exec(ctx, "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1", ns.Session.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.ResumeSession(ctx, ns.Token); !errors.Is(err, forum.ErrUnauthorized) {
		t.Fatalf("expired session: %v", err)
	}
	res, err := f.PruneAccounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sessions != 1 {
		t.Fatalf("pruned %d sessions, want 1", res.Sessions)
	}
}

func TestResumeTouchesLastSeenAtMostEveryFewMinutes(t *testing.T) {
	t.Parallel()
	f, pool := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	m := forumtest.Member(t, f, "carol", forum.RoleMember)
	ns := login(t, f, "carol")

	// Fresh session: resuming writes nothing.
	old := time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond)
	if _, err := pool.Exec(ctx, "UPDATE members SET last_seen_at = $2 WHERE actor_id = $1", m.ID, old); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.ResumeSession(ctx, ns.Token); err != nil {
		t.Fatal(err)
	}
	var seen time.Time
	if err := pool.QueryRow(ctx, "SELECT last_seen_at FROM members WHERE actor_id = $1", m.ID).Scan(&seen); err != nil {
		t.Fatal(err)
	}
	if !seen.Equal(old) {
		t.Fatalf("last_seen_at written on a fresh session: %v", seen)
	}

	// Stale session: resuming refreshes the session, its expiry and last_seen_at.
	if _, err := pool.Exec(ctx, "UPDATE sessions SET last_used_at = now() - interval '10 minutes', expires_at = now() + interval '1 day' WHERE id = $1", ns.Session.ID); err != nil {
		t.Fatal(err)
	}
	s, _, err := f.ResumeSession(ctx, ns.Token)
	if err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, "SELECT last_seen_at FROM members WHERE actor_id = $1", m.ID).Scan(&seen); err != nil {
		t.Fatal(err)
	}
	if time.Since(seen) > time.Minute {
		t.Fatalf("last_seen_at not refreshed: %v", seen)
	}
	var expires time.Time
	if err := pool.QueryRow(ctx, "SELECT expires_at FROM sessions WHERE id = $1", s.ID).Scan(&expires); err != nil {
		t.Fatal(err)
	}
	if time.Until(expires) < forum.SessionIdleLifetime-time.Hour {
		t.Fatalf("expiry not slid forward: %v", expires)
	}
	// The slide never passes the maximum lifetime.
	if _, err := pool.Exec(ctx, "UPDATE sessions SET created_at = now() - interval '364 days', last_used_at = now() - interval '1 hour' WHERE id = $1", s.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.ResumeSession(ctx, ns.Token); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, "SELECT expires_at FROM sessions WHERE id = $1", s.ID).Scan(&expires); err != nil {
		t.Fatal(err)
	}
	if time.Until(expires) > 25*time.Hour {
		t.Fatalf("expiry %v passes the one-year maximum", expires)
	}
}

func TestSessionsListAndSignOutEverywhereElse(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	forumtest.Member(t, f, "dave", forum.RoleMember)
	forumtest.Member(t, f, "erin", forum.RoleMember)
	a, b, c := login(t, f, "dave"), login(t, f, "dave"), login(t, f, "dave")
	erin := login(t, f, "erin")
	dave := a.Member.Viewer()

	list, err := f.Sessions(ctx, dave)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 {
		t.Fatalf("listed %d sessions, want 3", len(list))
	}
	// Nobody can revoke someone else's session.
	if err := f.RevokeSession(ctx, dave, erin.Session.ID); !errors.Is(err, forum.ErrNotFound) {
		t.Fatalf("revoking another member's session: %v", err)
	}
	if err := f.RevokeSession(ctx, dave, c.Session.ID); err != nil {
		t.Fatal(err)
	}
	n, err := f.RevokeOtherSessions(ctx, dave, a.Session.ID)
	if err != nil || n != 1 {
		t.Fatalf("revoke others: %d, %v; want 1", n, err)
	}
	if _, _, err := f.ResumeSession(ctx, a.Token); err != nil {
		t.Fatalf("the current session was revoked: %v", err)
	}
	for _, tok := range []string{b.Token, c.Token} {
		if _, _, err := f.ResumeSession(ctx, tok); !errors.Is(err, forum.ErrUnauthorized) {
			t.Fatalf("revoked session still works: %v", err)
		}
	}
	if _, _, err := f.ResumeSession(ctx, erin.Token); err != nil {
		t.Fatalf("another member's session was revoked: %v", err)
	}
	if _, err := f.Sessions(ctx, forum.Guest); !errors.Is(err, forum.ErrUnauthorized) {
		t.Fatalf("guest listing sessions: %v", err)
	}
}

func TestSetPasswordRevokesEverySession(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	m := forumtest.Member(t, f, "frank", forum.RoleMember)
	a, b := login(t, f, "frank"), login(t, f, "frank")
	if err := f.SetPassword(ctx, m.ID, "a brand new password"); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{a.Token, b.Token} {
		if _, _, err := f.ResumeSession(ctx, tok); !errors.Is(err, forum.ErrUnauthorized) {
			t.Fatalf("session survived set-password: %v", err)
		}
	}
	if _, err := f.Login(ctx, forum.LoginInput{Login: "frank", Password: "a brand new password"}); err != nil {
		t.Fatalf("new password refused: %v", err)
	}
	if err := f.SetPassword(ctx, 999999, "a brand new password"); !errors.Is(err, forum.ErrNotFound) {
		t.Fatalf("unknown member: %v", err)
	}
}

func TestChangePasswordNeedsTheCurrentOneAndKeepsOnlyThisSession(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	forumtest.Member(t, f, "gina", forum.RoleMember)
	here, elsewhere := login(t, f, "gina"), login(t, f, "gina")
	v := here.Member.Viewer()

	err := f.ChangePassword(ctx, v, "not my password", "another long password", here.Session.ID)
	var ve *forum.ValidationError
	if !errors.As(err, &ve) || ve.Problems[0].Field != "current_password" {
		t.Fatalf("wrong current password: %v", err)
	}
	err = f.ChangePassword(ctx, v, testPassword, "short", here.Session.ID)
	if !errors.As(err, &ve) || ve.Problems[0].Field != "new_password" {
		t.Fatalf("short new password: %v", err)
	}
	if err := f.ChangePassword(ctx, v, testPassword, "another long password", here.Session.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.ResumeSession(ctx, here.Token); err != nil {
		t.Fatalf("the session that changed the password was revoked: %v", err)
	}
	if _, _, err := f.ResumeSession(ctx, elsewhere.Token); !errors.Is(err, forum.ErrUnauthorized) {
		t.Fatalf("other session survived a password change: %v", err)
	}
	if _, err := f.Login(ctx, forum.LoginInput{Login: "gina", Password: testPassword}); !errors.Is(err, forum.ErrBadCredentials) {
		t.Fatalf("old password still works: %v", err)
	}
}

func TestChangeEmailNeedsThePasswordAndTellsTheOldAddress(t *testing.T) {
	t.Parallel()
	jobs := &queuedJobs{}
	f, _ := forumtest.New(t, forum.Options{Jobs: jobs})
	ctx := context.Background()
	m := forumtest.Member(t, f, "hank", forum.RoleMember)
	forumtest.Member(t, f, "ivy", forum.RoleMember)
	v := m.Viewer()

	var ve *forum.ValidationError
	if err := f.ChangeEmail(ctx, v, "wrong password!", "hank@new.example", nil); !errors.As(err, &ve) {
		t.Fatalf("wrong password: %v", err)
	}
	if err := f.ChangeEmail(ctx, v, testPassword, "IVY@example.test", nil); !errors.As(err, &ve) || ve.Problems[0].Field != "email" {
		t.Fatalf("taken address: %v", err)
	}
	if err := f.ChangeEmail(ctx, v, testPassword, "not an address", nil); !errors.As(err, &ve) || ve.Problems[0].Field != "email" {
		t.Fatalf("bad address: %v", err)
	}
	if len(jobs.mails()) != 0 {
		t.Fatalf("mail queued for a refused change: %+v", jobs.mails())
	}
	if err := f.ChangeEmail(ctx, v, testPassword, "hank@new.example", nil); err != nil {
		t.Fatal(err)
	}
	got, err := f.MemberByID(ctx, m.ID)
	if err != nil || got.Email != "hank@new.example" {
		t.Fatalf("email now %q (%v)", got.Email, err)
	}
	mails := jobs.mails()
	if len(mails) != 1 || mails[0].To != "hank@example.test" {
		t.Fatalf("notice went to %+v, want the old address", mails)
	}
}
