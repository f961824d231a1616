package forum_test

import (
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

// A deleted thread is not locked, pinned, hidden or moved: it would change nothing anyone sees and
// only add lines to the moderation log.
func TestADeletedThreadTakesNoMoreModeration(t *testing.T) {
	t.Parallel()
	fx := newContentFixture(t)
	other := fx.category(t, "elsewhere")
	th, opener := fx.thread(t, fx.alice, fx.cat, "Gone soon", "opener")
	if err := fx.f.DeletePost(fx.ctx, fx.mod.Viewer(), opener.ID, "spam"); err != nil {
		t.Fatal(err)
	}
	before := len(fx.modActions(t))
	mod := fx.mod.Viewer()
	for name, err := range map[string]error{
		"lock": fx.f.LockThread(fx.ctx, mod, th.ID, true, ""),
		"pin":  fx.f.PinThread(fx.ctx, mod, th.ID, true),
		"hide": fx.f.HideThread(fx.ctx, mod, th.ID, true, ""),
		"move": fx.f.MoveThread(fx.ctx, mod, th.ID, other.ID),
	} {
		wantErr(t, name+" of a deleted thread", err, forum.ErrGone)
	}
	if after := fx.modActions(t); len(after) != before {
		t.Errorf("the log grew by %v", after[before:])
	}
}
