package forum_test

import (
	"errors"
	"strconv"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// login signs a fixture member in and resumes the session once, so that it is kept.
func (fx *contentFixture) login(t *testing.T, m forum.Member) string {
	t.Helper()
	ns, err := fx.f.Login(fx.ctx, forum.LoginInput{Login: m.Username, Password: forumtest.Password})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := fx.f.ResumeSession(fx.ctx, ns.Token); err != nil {
		t.Fatal(err)
	}
	return ns.Token
}

func (fx *contentFixture) resume(t *testing.T, token string) (forum.Session, forum.Viewer, error) {
	t.Helper()
	return fx.f.ResumeSession(fx.ctx, token)
}

func TestAResumedSessionIsKeptUntilAViewerChangeIsNotified(t *testing.T) {
	t.Parallel()
	fx := newSharedReadsFixture(t)
	token := fx.login(t, fx.bob)
	fx.quietly(t, "members", `UPDATE members SET role = 'moderator' WHERE actor_id = $1`, fx.bob.ID)
	if _, v, err := fx.resume(t, token); err != nil || v.Role != forum.RoleMember {
		t.Fatalf("after an unannounced role change: %+v, %v; want the kept member", v, err)
	}
	if _, err := fx.pool.Exec(fx.ctx, `SELECT pg_notify('stoa_viewers_changed', '')`); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new role after the notification", func() bool {
		_, v, err := fx.resume(t, token)
		return err == nil && v.Role == forum.RoleModerator
	})
}

func TestARevokedSessionIsRefusedHereAtOnceAndElsewhereWhenNotified(t *testing.T) {
	t.Parallel()
	fx := newSharedReadsFixture(t)
	here, elsewhere, banned := fx.login(t, fx.bob), fx.login(t, fx.bob), fx.login(t, fx.alice)
	// Each login moved the generation: resume again, so the sessions are kept when one is logged out.
	for _, token := range []string{here, banned} {
		if _, _, err := fx.resume(t, token); err != nil {
			t.Fatal(err)
		}
	}
	// alice's role changes unannounced: her kept session shows the old one for as long as it is kept.
	fx.quietly(t, "members", `UPDATE members SET role = 'moderator' WHERE actor_id = $1`, fx.alice.ID)
	// With the sessions' trigger off, only this process's own word can drop the kept session.
	fx.withoutTriggers(t, "sessions", func() {
		if err := fx.f.Logout(fx.ctx, here); err != nil {
			t.Fatal(err)
		}
	})
	if _, _, err := fx.resume(t, here); !errors.Is(err, forum.ErrUnauthorized) {
		t.Fatalf("a session logged out here resumed at once: %v", err)
	}
	// bob's logout dropped bob's kept sessions, not everyone's.
	if _, v, err := fx.resume(t, banned); err != nil || v.Role != forum.RoleMember {
		t.Fatalf("alice's session after bob logged out: %+v, %v; want it still kept", v, err)
	}
	// A token logged out twice, or never valid, is no error.
	if err := fx.f.Logout(fx.ctx, here); err != nil {
		t.Fatalf("logging out again: %v", err)
	}
	// Another process (here, plain SQL through the triggers) revokes and bans.
	if _, err := fx.pool.Exec(fx.ctx, `DELETE FROM sessions WHERE member_id = $1`, fx.bob.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.pool.Exec(fx.ctx, `UPDATE members SET banned_until = 'infinity' WHERE actor_id = $1`, fx.alice.ID); err != nil {
		t.Fatal(err)
	}
	for what, token := range map[string]string{"revoked elsewhere": elsewhere, "banned elsewhere": banned} {
		eventually(t, "a session "+what+" refused", func() bool {
			_, _, err := fx.resume(t, token)
			return errors.Is(err, forum.ErrUnauthorized)
		})
	}
}

func TestAKeptSessionsHeaderCountsFollowNotifications(t *testing.T) {
	t.Parallel()
	fx := newSharedReadsFixture(t)
	th, _ := fx.thread(t, fx.bob, fx.cat, "Bob's", "opener")
	token := fx.login(t, fx.bob)
	count := func() int {
		t.Helper()
		s, _, err := fx.resume(t, token)
		if err != nil {
			t.Fatal(err)
		}
		return s.Counts.UnreadNotifications
	}
	if n := count(); n != 0 {
		t.Fatalf("%d unread notifications before any reply", n)
	}
	// A reply made here notifies bob through a job, run here as the notify worker would.
	fx.reply(t, fx.alice, th.ID, "a reply to bob")
	if made := fx.deliver(t); made != 1 {
		t.Fatalf("%d notifications made for one reply", made)
	}
	eventually(t, "the reply's notification counted", func() bool { return count() == 1 })
	// Reading the reply marks its notification read: the next request's header says so, with no
	// help from the notifications' trigger.
	fx.withoutTriggers(t, "notifications", func() {
		if _, err := fx.f.ReadThreadPage(fx.ctx, fx.bob.Viewer(), th.ID, 1); err != nil {
			t.Fatal(err)
		}
	})
	if n := count(); n != 0 {
		t.Fatalf("%d unread notifications right after reading the reply", n)
	}
}

// A change about one member drops only that member's kept sessions.
func TestAChangeAboutOneMemberKeepsTheOthersSessions(t *testing.T) {
	t.Parallel()
	fx := newSharedReadsFixture(t)
	bob, alice := fx.login(t, fx.bob), fx.login(t, fx.alice)
	// Each login moved the generation: resume both again, so both are kept.
	for _, token := range []string{bob, alice} {
		if _, _, err := fx.resume(t, token); err != nil {
			t.Fatal(err)
		}
	}
	fx.quietly(t, "members", `UPDATE members SET role = 'moderator' WHERE actor_id = $1`, fx.bob.ID)
	// An inbox job's transaction (a deferred commit) is not taken as a change about everyone.
	if _, err := fx.f.CreateCategory(forum.WithDeferredCommit(fx.ctx), forumtest.Admin, forum.NewCategory{Slug: "job", Title: "Job"}); err != nil {
		t.Fatal(err)
	}
	if _, v, err := fx.resume(t, bob); err != nil || v.Role != forum.RoleMember {
		t.Fatalf("bob after an inbox job's write: %+v, %v; want his kept session, unchanged", v, err)
	}
	// Alice is banned elsewhere: the trigger names her.
	if _, err := fx.pool.Exec(fx.ctx, `UPDATE members SET banned_until = 'infinity' WHERE actor_id = $1`, fx.alice.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "alice's session refused", func() bool {
		_, _, err := fx.resume(t, alice)
		return errors.Is(err, forum.ErrUnauthorized)
	})
	if _, v, err := fx.resume(t, bob); err != nil || v.Role != forum.RoleMember {
		t.Fatalf("bob after a change about alice: %+v, %v; want his kept session, unchanged", v, err)
	}
	// A notification naming bob drops his.
	if _, err := fx.pool.Exec(fx.ctx, `SELECT pg_notify('stoa_viewers_changed', $1)`, strconv.FormatInt(fx.bob.ID, 10)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "bob's new role after a notification naming him", func() bool {
		_, v, err := fx.resume(t, bob)
		return err == nil && v.Role == forum.RoleModerator
	})
}
