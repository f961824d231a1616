package forum_test

import (
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// IsLocalMember answers the renderer's question: a member is one, whatever the case written; a
// category (which shares the names) or a name nobody has is not.
func TestIsLocalMemberKnowsMembersOnly(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	for name, want := range map[string]bool{"alice": true, "Alice": true, "general": false, "nobody": false} {
		if got := fx.f.IsLocalMember(name); got != want {
			t.Errorf("IsLocalMember(%q) = %v, want %v", name, got, want)
		}
	}
	// A name first asked about once it is taken is known.
	forumtest.Member(t, fx.f, "newcomer", forum.RoleMember)
	if !fx.f.IsLocalMember("newcomer") {
		t.Error("a new member is not known")
	}
}
