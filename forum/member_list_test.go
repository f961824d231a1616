package forum_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func TestListMembersPagesByKeyAndSearchesByPrefix(t *testing.T) {
	t.Parallel()
	f, _ := forumtest.New(t, forum.Options{})
	ctx := context.Background()
	admin := forumtest.Member(t, f, "zz_admin", forum.RoleAdmin)
	mod := forumtest.Member(t, f, "zz_mod", forum.RoleModerator)
	var names []string
	for i := 0; i < 7; i++ {
		names = append(names, fmt.Sprintf("ann_%d", i))
		forumtest.Member(t, f, names[i], forum.RoleMember)
	}
	forumtest.Member(t, f, "annex", forum.RoleMember) // matches "ann", not "ann_"
	forumtest.Member(t, f, "ann1x", forum.RoleMember) // would match "ann_" if _ were a wildcard
	banned := forumtest.Member(t, f, "bob", forum.RoleMember)
	if err := f.BanMember(ctx, admin.Viewer(), banned.ID, nil, "spam"); err != nil {
		t.Fatal(err)
	}

	// Newest first, three at a time, until the end.
	var seen []string
	q := forum.MemberListQuery{Limit: 3}
	for page := 0; page < 10; page++ {
		p, err := f.ListMembers(ctx, admin.Viewer(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range p.Members {
			seen = append(seen, m.Username)
		}
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	want := []string{"bob", "ann1x", "annex", "ann_6", "ann_5", "ann_4", "ann_3", "ann_2", "ann_1", "ann_0", "zz_mod", "zz_admin"}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("pages listed %v, want %v", seen, want)
	}

	p, err := f.ListMembers(ctx, admin.Viewer(), forum.MemberListQuery{Prefix: "ANN_", Limit: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Members) != 4 || p.Members[0].Username != "ann_0" || p.Next != "ann_3" {
		t.Fatalf("prefix page 1: %+v next %q", p.Members, p.Next)
	}
	p, err = f.ListMembers(ctx, admin.Viewer(), forum.MemberListQuery{Prefix: "ann_", After: p.Next, Limit: 4})
	if err != nil || len(p.Members) != 3 || p.Members[2].Username != "ann_6" || p.Next != "" {
		t.Fatalf("prefix page 2: %+v next %q (%v)", p.Members, p.Next, err)
	}

	p, err = f.ListMembers(ctx, admin.Viewer(), forum.MemberListQuery{Prefix: "bob"})
	if err != nil || len(p.Members) != 1 {
		t.Fatalf("bob: %+v (%v)", p, err)
	}
	b := p.Members[0]
	if !b.Banned || !b.BannedForever || b.BanReason != "spam" || b.Email != "bob@example.test" || time.Since(b.JoinedAt) > time.Minute {
		t.Fatalf("bob as listed to an admin: %+v", b)
	}
	// Moderators see the list but not e-mail addresses; members do not see it at all.
	p, err = f.ListMembers(ctx, mod.Viewer(), forum.MemberListQuery{Prefix: "bob"})
	if err != nil || p.Members[0].Email != "" {
		t.Fatalf("moderator sees %+v (%v)", p.Members, err)
	}
	if _, err := f.ListMembers(ctx, forum.Guest, forum.MemberListQuery{}); !errors.Is(err, forum.ErrForbidden) {
		t.Fatalf("guest: %v", err)
	}
	var ve *forum.ValidationError
	if _, err := f.ListMembers(ctx, admin.Viewer(), forum.MemberListQuery{Prefix: "a%"}); !errors.As(err, &ve) {
		t.Fatalf("pattern characters in the prefix: %v", err)
	}
	if _, err := f.ListMembers(ctx, admin.Viewer(), forum.MemberListQuery{After: "abc"}); !errors.As(err, &ve) {
		t.Fatalf("bad cursor: %v", err)
	}

	counts, err := f.CountMembersByState(ctx, mod.Viewer())
	if err != nil || counts.Members != 12 || counts.Banned != 1 || counts.Staff != 2 || counts.NewThisWeek != 12 {
		t.Fatalf("counts %+v (%v)", counts, err)
	}
}
