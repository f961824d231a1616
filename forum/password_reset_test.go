package forum_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func resetLink(token string) string { return "https://forum.example/reset/" + token }

func tokenFromMail(t *testing.T, m forum.MailArgs) string {
	t.Helper()
	i := strings.Index(m.Text, "https://forum.example/reset/")
	if i < 0 {
		t.Fatalf("no link in mail:\n%s", m.Text)
	}
	return strings.Fields(m.Text[i+len("https://forum.example/reset/"):])[0]
}

func TestPasswordResetAnswersTheSameForUnknownAddresses(t *testing.T) {
	t.Parallel()
	jobs := &queuedJobs{}
	f, pool := forumtest.New(t, forum.Options{Jobs: jobs})
	ctx := context.Background()
	forumtest.Member(t, f, "alice", forum.RoleMember)

	// Both answers take the same floor, longer than either path's work: the timing tells nothing.
	const floor = 250 * time.Millisecond
	start := time.Now()
	if err := f.RequestPasswordReset(ctx, "nobody@example.test", testClient, resetLink); err != nil {
		t.Fatalf("unknown address: %v", err)
	}
	if took := time.Since(start); took < floor {
		t.Fatalf("the answer for an unknown address came after %v, before the floor", took)
	}
	if len(jobs.mails()) != 0 {
		t.Fatalf("mail queued for an unknown address: %+v", jobs.mails())
	}
	start = time.Now()
	if err := f.RequestPasswordReset(ctx, "Alice@Example.test", testClient, resetLink); err != nil {
		t.Fatalf("known address: %v", err)
	}
	if took := time.Since(start); took < floor {
		t.Fatalf("the answer for a known address came after %v, before the floor", took)
	}
	// The link goes to the address on the account, not to the spelling typed.
	mails := jobs.mails()
	if len(mails) != 1 || mails[0].To != "alice@example.test" || !strings.Contains(mails[0].Text, "alice") {
		t.Fatalf("mails %+v", mails)
	}
	token := tokenFromMail(t, mails[0])
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM password_resets WHERE token_hash = convert_to($1, 'UTF8')", token).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the token is stored in the clear (%d, %v)", n, err)
	}
	var ve *forum.ValidationError
	if err := f.RequestPasswordReset(ctx, "not an address", testClient, resetLink); !errors.As(err, &ve) {
		t.Fatalf("malformed address: %v", err)
	}
}

// A look-alike address that case folding maps onto a member's (a dotted capital İ for the i, on a
// domain anyone may register) must not receive that member's reset link.
func TestPasswordResetNeverMailsALookAlikeAddress(t *testing.T) {
	t.Parallel()
	jobs := &queuedJobs{}
	f, _ := forumtest.New(t, forum.Options{Jobs: jobs})
	ctx := context.Background()
	forumtest.Member(t, f, "kiki", forum.RoleMember) // kiki@example.test
	typed := []string{"k\u0130ki@example.test", "\u212Aiki@example.test", "KIKI@EXAMPLE.TEST"}
	for _, typed := range typed {
		if err := f.RequestPasswordReset(ctx, typed, testClient, resetLink); err != nil {
			t.Fatalf("%q: %v", typed, err)
		}
	}
	mails := jobs.mails()
	if len(mails) != len(typed) {
		t.Fatalf("%d reset mails for %d requests: a look-alike was not found, so it tests nothing", len(mails), len(typed))
	}
	for _, m := range mails {
		if m.To != "kiki@example.test" {
			t.Errorf("a reset link for kiki went to %q", m.To)
		}
	}
}

func TestPasswordResetTokenIsSingleUseAndRevokesSessions(t *testing.T) {
	t.Parallel()
	jobs := &queuedJobs{}
	f, _ := forumtest.New(t, forum.Options{Jobs: jobs})
	ctx := context.Background()
	forumtest.Member(t, f, "bob", forum.RoleMember)
	ns := login(t, f, "bob")

	if err := f.RequestPasswordReset(ctx, "bob@example.test", testClient, resetLink); err != nil {
		t.Fatal(err)
	}
	first := tokenFromMail(t, jobs.mails()[0])
	if err := f.RequestPasswordReset(ctx, "bob@example.test", testClient, resetLink); err != nil {
		t.Fatal(err)
	}
	second := tokenFromMail(t, jobs.mails()[1])
	var ve *forum.ValidationError
	if err := f.CheckPasswordResetToken(ctx, first); !errors.As(err, &ve) {
		t.Fatalf("a newer request did not void the older link: %v", err)
	}
	if err := f.CheckPasswordResetToken(ctx, second); err != nil {
		t.Fatal(err)
	}
	if err := f.ResetPassword(ctx, second, "short"); !errors.As(err, &ve) || ve.Problems[0].Field != "password" {
		t.Fatalf("short password: %v", err)
	}
	if err := f.ResetPassword(ctx, second, "my new long password"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.ResumeSession(ctx, ns.Token); !errors.Is(err, forum.ErrUnauthorized) {
		t.Fatalf("session survived the reset: %v", err)
	}
	if err := f.ResetPassword(ctx, second, "yet another password"); !errors.As(err, &ve) || ve.Problems[0].Field != "token" {
		t.Fatalf("second use of a reset link: %v", err)
	}
	if _, err := f.Login(ctx, forum.LoginInput{Login: "bob", Password: "my new long password"}); err != nil {
		t.Fatalf("new password: %v", err)
	}
}

func TestPasswordResetLinkExpiresAfterAnHour(t *testing.T) {
	t.Parallel()
	jobs := &queuedJobs{}
	f, pool := forumtest.New(t, forum.Options{Jobs: jobs})
	ctx := context.Background()
	forumtest.Member(t, f, "carol", forum.RoleMember)
	if err := f.RequestPasswordReset(ctx, "carol@example.test", testClient, resetLink); err != nil {
		t.Fatal(err)
	}
	var left float64
	if err := pool.QueryRow(ctx, "SELECT extract(epoch FROM expires_at - created_at) FROM password_resets").Scan(&left); err != nil || left != 3600 {
		t.Fatalf("lifetime %v s (%v), want 3600", left, err)
	}
	if _, err := pool.Exec(ctx, "UPDATE password_resets SET expires_at = now() - interval '1 second'"); err != nil {
		t.Fatal(err)
	}
	var ve *forum.ValidationError
	if err := f.ResetPassword(ctx, tokenFromMail(t, jobs.mails()[0]), "my new long password"); !errors.As(err, &ve) {
		t.Fatalf("expired link: %v", err)
	}
}

func TestPasswordResetMailsAreThrottled(t *testing.T) {
	t.Parallel()
	jobs := &queuedJobs{}
	f, _ := forumtest.New(t, forum.Options{Jobs: jobs})
	ctx := context.Background()
	forumtest.Member(t, f, "dora", forum.RoleMember)
	for i := 0; i < 3; i++ {
		c := forum.ClientInfo{IP: netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})}
		if err := f.RequestPasswordReset(ctx, "dora@example.test", c, resetLink); err != nil {
			t.Fatal(err)
		}
	}
	c := forum.ClientInfo{IP: netip.MustParseAddr("192.0.2.200")}
	if err := f.RequestPasswordReset(ctx, "DORA@example.test", c, resetLink); !errors.Is(err, forum.ErrRateLimited) {
		t.Fatalf("fourth mail to one address within the hour: %v", err)
	}
	if got := len(jobs.mails()); got != 3 {
		t.Fatalf("%d mails queued, want 3", got)
	}
	// Unknown addresses are throttled the same way, so throttling reveals nothing either.
	for i := 0; i < 3; i++ {
		_ = f.RequestPasswordReset(ctx, "ghost@example.test", forum.ClientInfo{}, resetLink)
	}
	if err := f.RequestPasswordReset(ctx, "ghost@example.test", forum.ClientInfo{}, resetLink); !errors.Is(err, forum.ErrRateLimited) {
		t.Fatalf("unknown address, fourth request: %v", err)
	}
}

func TestPasswordResetLiftsTheAccountLockout(t *testing.T) {
	t.Parallel()
	jobs := &queuedJobs{}
	f, _ := forumtest.New(t, forum.Options{Jobs: jobs})
	ctx := context.Background()
	forumtest.Member(t, f, "eve", forum.RoleMember)
	for i := 0; i < 10; i++ {
		_, _ = f.Login(ctx, forum.LoginInput{Login: "eve", Password: "attacker guess"})
	}
	if err := f.RequestPasswordReset(ctx, "eve@example.test", forum.ClientInfo{}, resetLink); err != nil {
		t.Fatal(err)
	}
	if err := f.ResetPassword(ctx, tokenFromMail(t, jobs.mails()[0]), "fresh long password"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Login(ctx, forum.LoginInput{Login: "eve", Password: "fresh long password"}); err != nil {
		t.Fatalf("still locked out after a reset: %v", err)
	}
}
