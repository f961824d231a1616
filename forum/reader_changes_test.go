package forum_test

import (
	"fmt"
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

func (fx *contentFixture) readerStamp(t *testing.T, m forum.Member) forum.ReaderStamp {
	t.Helper()
	s, live := fx.f.ReaderStamp(m.ID)
	if !live {
		t.Fatal("reader stamp not live with the listener subscribed")
	}
	return s
}

// A member's reading, changed here, moves their stamp before the call returns, with no help from
// the triggers; reading a page again, which records nothing, does not move it.
func TestReadingHereMovesTheReadersStampAtOnce(t *testing.T) {
	t.Parallel()
	fx := newSharedReadsFixture(t)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Stamped", "the opener")
	fx.settle(t)
	before := fx.readerStamp(t, fx.bob)
	fx.withoutTriggers(t, "member_threads", func() {
		if _, err := fx.f.ReadThreadPage(fx.ctx, fx.bob.Viewer(), th.ID, 1); err != nil {
			t.Fatal(err)
		}
	})
	read := fx.readerStamp(t, fx.bob)
	if read == before {
		t.Fatal("a first read of the page left bob's stamp where it was")
	}
	if _, err := fx.f.ReadThreadPage(fx.ctx, fx.bob.Viewer(), th.ID, 1); err != nil {
		t.Fatal(err)
	}
	if again := fx.readerStamp(t, fx.bob); again != read {
		t.Fatal("reading the page again, which records nothing, moved bob's stamp")
	}
	fx.withoutTriggers(t, "member_threads", func() {
		if err := fx.f.SetThreadLevel(fx.ctx, fx.bob.Viewer(), th.ID, forum.Muted); err != nil {
			t.Fatal(err)
		}
	})
	if muted := fx.readerStamp(t, fx.bob); muted == read {
		t.Fatal("muting the thread left bob's stamp where it was")
	}
	fx.withoutTriggers(t, "member_categories", func() {
		before = fx.readerStamp(t, fx.bob)
		if err := fx.f.SetCategoryLevel(fx.ctx, fx.bob.Viewer(), fx.cat.ID, forum.Watching); err != nil {
			t.Fatal(err)
		}
	})
	if watching := fx.readerStamp(t, fx.bob); watching == before {
		t.Fatal("watching the category left bob's stamp where it was")
	}
}

// What another process changes of a member's reading moves their stamp when its notification
// arrives, and nobody else's; a statement changing many members' rows moves everyone's.
func TestAReadingChangeElsewhereMovesThatReadersStampWhenNotified(t *testing.T) {
	t.Parallel()
	fx := newSharedReadsFixture(t)
	th, _ := fx.thread(t, fx.alice, fx.cat, "Stamped", "the opener")
	fx.settle(t)
	bob, alice := fx.readerStamp(t, fx.bob), fx.readerStamp(t, fx.alice)
	if _, err := fx.pool.Exec(fx.ctx, `INSERT INTO member_threads (thread_id, member_id, read_positions)
		VALUES ($1, $2, '{[1,2)}')`, th.ID, fx.bob.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "bob's stamp moved by the notification", func() bool { return fx.readerStamp(t, fx.bob) != bob })
	if fx.readerStamp(t, fx.alice) != alice {
		t.Fatal("a change of bob's reading moved alice's stamp")
	}
	// Seventeen rows in one statement: the notifications stop naming their member one row at a
	// time and name everyone.
	var threads []int64
	for i := range 17 {
		more, _ := fx.thread(t, fx.alice, fx.cat, "More", fmt.Sprint("another opener ", i))
		threads = append(threads, more.ID)
	}
	fx.settle(t)
	alice = fx.readerStamp(t, fx.alice)
	if _, err := fx.pool.Exec(fx.ctx, `INSERT INTO member_threads (thread_id, member_id, read_positions)
		SELECT unnest($1::bigint[]), $2, '{[1,2)}'`, threads, fx.bob.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "alice's stamp moved by a change naming everyone", func() bool { return fx.readerStamp(t, fx.alice) != alice })
}
