package forum_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func TestBanRevokesAccessRefusesLoginAndIsLogged(t *testing.T) {
	t.Parallel()
	f, pool := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	mod := forumtest.Member(t, f, "modder", forum.RoleModerator)
	troll := forumtest.Member(t, f, "troll", forum.RoleMember)
	ns := login(t, f, "troll")
	_, secret, err := f.CreateAccessToken(ctx, troll.Viewer(), troll.ID, "script")
	if err != nil {
		t.Fatal(err)
	}

	until := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	if err := f.BanMember(ctx, mod.Viewer(), troll.ID, &until, "  spam  "); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.ResumeSession(ctx, ns.Token); !errors.Is(err, forum.ErrUnauthorized) {
		t.Fatalf("session survived the ban: %v", err)
	}
	// The token is refused while the ban lasts, saying until when, and kept for after it.
	var tokenBan *forum.BanError
	if _, err := f.ViewerByAccessToken(ctx, secret); !errors.As(err, &tokenBan) || !errors.Is(err, forum.ErrForbidden) ||
		!tokenBan.Until.Equal(until) {
		t.Fatalf("token during the ban: %v", err)
	}
	var tokens int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM access_tokens WHERE member_id = $1", troll.ID).Scan(&tokens); err != nil || tokens != 1 {
		t.Fatalf("%d tokens kept (%v), want 1", tokens, err)
	}

	// The right password gets the ban's end; a wrong one gets nothing more than usual.
	_, err = f.Login(ctx, forum.LoginInput{Login: "troll", Password: testPassword})
	var be *forum.BanError
	if !errors.As(err, &be) || !errors.Is(err, forum.ErrForbidden) || !be.Until.Equal(until) || be.Reason != "spam" {
		t.Fatalf("banned login: %v", err)
	}
	if !strings.Contains(err.Error(), until.UTC().Format("2 Jan 2006, 15:04 UTC")) {
		t.Fatalf("message %q does not say until when", err)
	}
	if _, err := f.Login(ctx, forum.LoginInput{Login: "troll", Password: "wrong password"}); !errors.Is(err, forum.ErrBadCredentials) {
		t.Fatalf("banned member, wrong password: %v", err)
	}
	m, err := f.MemberByID(ctx, troll.ID)
	if err != nil || !m.Banned(time.Now()) || m.Banned(until.Add(time.Second)) || m.BannedForever {
		t.Fatalf("member after a temporary ban: %+v %v", m, err)
	}

	log, err := f.ModerationLog(ctx, forumtest.Admin, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].Action != "ban_member" || log[0].Moderator != "modder" || log[0].Target != "troll" || log[0].Reason != "spam" {
		t.Fatalf("log %+v", log)
	}
	var details map[string]string
	if err := json.Unmarshal(log[0].Details, &details); err != nil || details["until"] != until.Format(time.RFC3339) {
		t.Fatalf("details %s", log[0].Details)
	}

	if err := f.UnbanMember(ctx, mod.Viewer(), troll.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Login(ctx, forum.LoginInput{Login: "troll", Password: testPassword}); err != nil {
		t.Fatalf("after unban: %v", err)
	}
	if v, err := f.ViewerByAccessToken(ctx, secret); err != nil || v.ActorID != troll.ID {
		t.Fatalf("token after unban: %+v %v", v, err)
	}
	var ve *forum.ValidationError
	if err := f.UnbanMember(ctx, mod.Viewer(), troll.ID); !errors.As(err, &ve) {
		t.Fatalf("unbanning someone not banned: %v", err)
	}
}

func TestPermanentBanIsStoredAsInfinity(t *testing.T) {
	t.Parallel()
	f, pool := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	admin := forumtest.Member(t, f, "boss", forum.RoleAdmin)
	spammer := forumtest.Member(t, f, "spammer", forum.RoleMember)
	if err := f.BanMember(ctx, admin.Viewer(), spammer.ID, nil, ""); err != nil {
		t.Fatal(err)
	}
	var inf bool
	if err := pool.QueryRow(ctx, "SELECT banned_until = 'infinity' FROM members WHERE actor_id = $1", spammer.ID).Scan(&inf); err != nil || !inf {
		t.Fatalf("stored infinity: %v %v", inf, err)
	}
	m, err := f.MemberByID(ctx, spammer.ID)
	if err != nil || !m.BannedForever || m.BannedUntil != nil || !m.Banned(time.Now().AddDate(100, 0, 0)) {
		t.Fatalf("member %+v %v", m, err)
	}
	_, err = f.Login(ctx, forum.LoginInput{Login: "spammer", Password: testPassword})
	var be *forum.BanError
	if !errors.As(err, &be) || !be.Permanent() || !strings.Contains(err.Error(), "permanently") {
		t.Fatalf("permanently banned login: %v", err)
	}
}

func TestWhoMayBanWhom(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	admin := forumtest.Member(t, f, "admin1", forum.RoleAdmin)
	admin2 := forumtest.Member(t, f, "admin2", forum.RoleAdmin)
	mod := forumtest.Member(t, f, "mod1", forum.RoleModerator)
	mod2 := forumtest.Member(t, f, "mod2", forum.RoleModerator)
	member := forumtest.Member(t, f, "member1", forum.RoleMember)
	member2 := forumtest.Member(t, f, "member2", forum.RoleMember)
	past := time.Now().Add(-time.Hour)
	invalid := errors.New("a validation error")
	cases := []struct {
		name   string
		by     forum.Viewer
		target int64
		until  *time.Time
		reason string
		want   error
	}{
		{"member bans member", member.Viewer(), member2.ID, nil, "", forum.ErrForbidden},
		{"guest bans member", forum.Guest, member2.ID, nil, "", forum.ErrForbidden},
		{"moderator bans moderator", mod.Viewer(), mod2.ID, nil, "", forum.ErrForbidden},
		{"moderator bans admin", mod.Viewer(), admin.ID, nil, "", forum.ErrForbidden},
		{"admin bans admin", admin.Viewer(), admin2.ID, nil, "", forum.ErrForbidden},
		{"nobody bans themselves", admin.Viewer(), admin.ID, nil, "", invalid},
		{"an end in the past", mod.Viewer(), member.ID, &past, "", invalid},
		{"a novel as reason", mod.Viewer(), member.ID, nil, strings.Repeat("x", 501), invalid},
		{"unknown member", mod.Viewer(), 987654, nil, "", forum.ErrNotFound},
	}
	for _, c := range cases {
		err := f.BanMember(ctx, c.by, c.target, c.until, c.reason)
		if c.want == invalid {
			var ve *forum.ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("%s: got %v, want a validation error", c.name, err)
			}
		} else if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	if err := f.BanMember(ctx, admin.Viewer(), mod.ID, nil, "rogue"); err != nil {
		t.Errorf("admin bans moderator: %v", err)
	}
	if err := f.UnbanMember(ctx, member.Viewer(), mod.ID); !errors.Is(err, forum.ErrForbidden) {
		t.Errorf("member unbans: %v", err)
	}
	// Whom a moderator may not ban, they may not unban either; an admin may.
	if err := f.UnbanMember(ctx, mod2.Viewer(), mod.ID); !errors.Is(err, forum.ErrForbidden) {
		t.Errorf("moderator unbans the moderator an admin banned: %v", err)
	}
	if err := f.UnbanMember(ctx, admin2.Viewer(), mod.ID); err != nil {
		t.Errorf("admin unbans moderator: %v", err)
	}
}

func TestRoleChangesAreForAdminsAndLogged(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	admin := forumtest.Member(t, f, "chief", forum.RoleAdmin)
	mod := forumtest.Member(t, f, "helper", forum.RoleModerator)
	m := forumtest.Member(t, f, "regular", forum.RoleMember)

	if err := f.SetRole(ctx, mod.Viewer(), m.ID, forum.RoleModerator); !errors.Is(err, forum.ErrForbidden) {
		t.Fatalf("moderator promoting: %v", err)
	}
	var ve *forum.ValidationError
	if err := f.SetRole(ctx, admin.Viewer(), admin.ID, forum.RoleMember); !errors.As(err, &ve) {
		t.Fatalf("admin demoting themselves: %v", err)
	}
	if err := f.SetRole(ctx, admin.Viewer(), m.ID, "overlord"); !errors.As(err, &ve) {
		t.Fatalf("unknown role: %v", err)
	}
	if err := f.SetRole(ctx, admin.Viewer(), m.ID, forum.RoleModerator); err != nil {
		t.Fatal(err)
	}
	// Setting the same role again changes and logs nothing.
	if err := f.SetRole(ctx, admin.Viewer(), m.ID, forum.RoleModerator); err != nil {
		t.Fatal(err)
	}
	got, err := f.MemberByID(ctx, m.ID)
	if err != nil || got.Role != forum.RoleModerator {
		t.Fatalf("role %q (%v)", got.Role, err)
	}
	log, err := f.ModerationLog(ctx, admin.Viewer(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].Action != "set_role" || string(log[0].Details) != `{"to": "moderator", "from": "member"}` {
		t.Fatalf("log %+v (%s)", log, log[0].Details)
	}
}
