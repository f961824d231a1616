package forum_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func TestUnknownAccountAndWrongPasswordGetTheSameAnswer(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	forumtest.Member(t, f, "alice", forum.RoleMember)

	_, wrong := f.Login(ctx, forum.LoginInput{Login: "alice", Password: "not the password"})
	_, unknown := f.Login(ctx, forum.LoginInput{Login: "nobody", Password: "not the password"})
	_, unknownMail := f.Login(ctx, forum.LoginInput{Login: "nobody@example.test", Password: "not the password"})
	_, tooLong := f.Login(ctx, forum.LoginInput{Login: "alice", Password: testPassword + strings.Repeat("x", 300)})
	for name, err := range map[string]error{"wrong": wrong, "unknown": unknown, "unknown mail": unknownMail, "too long": tooLong} {
		if !errors.Is(err, forum.ErrBadCredentials) || err.Error() != "login: wrong username or password" {
			t.Errorf("%s: got %v, want the one bad-credentials answer", name, err)
		}
	}
	var ve *forum.ValidationError
	if _, err := f.Login(ctx, forum.LoginInput{Login: " ", Password: ""}); !errors.As(err, &ve) || len(ve.Problems) != 2 {
		t.Errorf("empty form: %v", err)
	}
}

// TestUnknownAccountCostsAnArgon2Check checks that an unknown account does the same work as a wrong
// password, one argon2id verification, so timing cannot tell them apart. It is not parallel: it
// counts verifications, and parallel tests would add theirs.
func TestUnknownAccountCostsAnArgon2Check(t *testing.T) {
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	forumtest.Member(t, f, "alice", forum.RoleMember)
	checksDuring := func(login string) (int64, error) {
		before := forum.PasswordChecks()
		_, err := f.Login(ctx, forum.LoginInput{Login: login, Password: "not the password"})
		return forum.PasswordChecks() - before, err
	}
	known, errKnown := checksDuring("alice")
	unknown, errUnknown := checksDuring("nobody_here")
	if known != 1 || unknown != 1 {
		t.Fatalf("argon2id checks: wrong password %d, unknown account %d; want 1 each", known, unknown)
	}
	if !errors.Is(errKnown, forum.ErrBadCredentials) || !errors.Is(errUnknown, forum.ErrBadCredentials) ||
		errKnown.Error() != errUnknown.Error() {
		t.Fatalf("different answers: wrong password %v, unknown account %v", errKnown, errUnknown)
	}
}

func TestLoginIsThrottledPerAccountAndSurvivesARestart(t *testing.T) {
	t.Parallel()
	f, pool := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	forumtest.Member(t, f, "bob", forum.RoleMember)
	// Each attempt from its own address, so only the per-account budget applies.
	client := func(i int) forum.ClientInfo {
		return forum.ClientInfo{IP: netip.AddrFrom4([4]byte{203, 0, 113, byte(i)})}
	}
	for i := 0; i < 10; i++ {
		if _, err := f.Login(ctx, forum.LoginInput{Login: "bob", Password: "guess number " + string(rune('a'+i)), Client: client(i)}); !errors.Is(err, forum.ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	// A new process on the same database (a restart) still refuses, even the right password,
	// also when asked by e-mail address instead of username.
	restarted := forumtest.NewOn(t, pool, forum.Options{})
	for _, login := range []string{"bob", "BOB@example.test"} {
		if _, err := restarted.Login(ctx, forum.LoginInput{Login: login, Password: testPassword, Client: client(50)}); !errors.Is(err, forum.ErrRateLimited) {
			t.Fatalf("login %s after 10 failures: %v, want ErrRateLimited", login, err)
		}
	}
	// The same refusal for an unknown account that was hammered: nothing tells them apart.
	for i := 0; i < 10; i++ {
		_, _ = f.Login(ctx, forum.LoginInput{Login: "ghost", Password: "guess", Client: client(100 + i)})
	}
	if _, err := f.Login(ctx, forum.LoginInput{Login: "ghost", Password: "guess", Client: client(200)}); !errors.Is(err, forum.ErrRateLimited) {
		t.Fatalf("unknown account after 10 failures: %v", err)
	}

	// When the window has passed, the right password works and clears the count.
	if _, err := pool.Exec(ctx, "UPDATE rate_limits SET window_start = window_start - interval '1 hour'"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Login(ctx, forum.LoginInput{Login: "bob", Password: testPassword, Client: client(51)}); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM rate_limits WHERE bucket LIKE 'login-account:member:%'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d account counters left after a successful sign-in", n)
	}
}

func TestLoginIsThrottledPerAddress(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	forumtest.Member(t, f, "carol", forum.RoleMember)
	// Password spraying: one guess per account from one IPv6 /64, rotating the host part.
	for i := 0; i < 30; i++ {
		ip := netip.MustParseAddr("2001:db8:1:2::" + string(rune('a'+i%6)) + "1")
		_, err := f.Login(ctx, forum.LoginInput{Login: "user" + string(rune('a'+i)), Password: "Summer2024!!", Client: forum.ClientInfo{IP: ip}})
		if !errors.Is(err, forum.ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	_, err := f.Login(ctx, forum.LoginInput{Login: "carol", Password: testPassword, Client: forum.ClientInfo{IP: netip.MustParseAddr("2001:db8:1:2:ffff::9")}})
	if !errors.Is(err, forum.ErrRateLimited) {
		t.Fatalf("31st attempt from the same /64: %v", err)
	}
	// Another address is not affected.
	if _, err := f.Login(ctx, forum.LoginInput{Login: "carol", Password: testPassword, Client: forum.ClientInfo{IP: netip.MustParseAddr("2001:db8:9::1")}}); err != nil {
		t.Fatalf("other address: %v", err)
	}
}

func TestRegisterHonoursTheSiteSettingAndThrottlesPerAddress(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	client := forum.ClientInfo{IP: netip.MustParseAddr("192.0.2.44")}
	ns, err := f.Register(ctx, forum.Registration{Username: "NewPerson", Email: "new@example.test", Password: "long enough pw", Client: client})
	if err != nil {
		t.Fatal(err)
	}
	if ns.Member.Username != "newperson" || ns.Member.Role != forum.RoleMember || ns.Token == "" {
		t.Fatalf("registered %+v", ns.Member)
	}
	if _, v, err := f.ResumeSession(ctx, ns.Token); err != nil || v.ActorID != ns.Member.ID {
		t.Fatalf("registration did not sign in: %v", err)
	}
	// A taken name is a field error and does not use up the address's budget.
	var ve *forum.ValidationError
	if _, err := f.Register(ctx, forum.Registration{Username: "newperson", Email: "x@example.test", Password: "long enough pw", Client: client}); !errors.As(err, &ve) {
		t.Fatalf("taken name: %v", err)
	}
	for i := 0; i < 4; i++ {
		name := "person" + string(rune('a'+i))
		if _, err := f.Register(ctx, forum.Registration{Username: name, Email: name + "@example.test", Password: "long enough pw", Client: client}); err != nil {
			t.Fatalf("registration %d: %v", i, err)
		}
	}
	if _, err := f.Register(ctx, forum.Registration{Username: "sixth", Email: "sixth@example.test", Password: "long enough pw", Client: client}); !errors.Is(err, forum.ErrRateLimited) {
		t.Fatalf("sixth registration in an hour from one address: %v", err)
	}

	admin := forumtest.Member(t, f, "siteadmin", forum.RoleAdmin)
	s, err := f.SiteSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.UpdateSiteSettings(ctx, admin.Viewer(), forum.SiteSettingsInput{SiteName: s.SiteName, RegistrationOpen: false}); err != nil {
		t.Fatal(err)
	}
	_, err = f.Register(ctx, forum.Registration{Username: "latecomer", Email: "late@example.test", Password: "long enough pw"})
	if !errors.Is(err, forum.ErrRegistrationClosed) || !errors.Is(err, forum.ErrForbidden) {
		t.Fatalf("registration while closed: %v", err)
	}
}
