package inbox

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/stoa-forum/stoa/forum"
)

// The replies of one batch, from several actors, are stored by a group's transaction
// (reply_group.go), each applied as sent and in its thread, and a batch run again adds nothing;
// with ReplyGroup 1 the same batch stores each reply alone and counts no group.
func TestABatchStoresItsRepliesTogether(t *testing.T) {
	t.Parallel()
	for _, size := range []int{16, 1} {
		t.Run(fmt.Sprintf("group of %d", size), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, withRecorder(RecorderOptions{MaxGroup: 4, Linger: 10 * time.Second, Committers: 1}),
				// A group waits for every applier of the batch (a linger of a second outlasts any
				// stall of a loaded machine), so the four replies make one group.
				withInbox(func(o *Options) { o.ReplyGroup, o.ReplyGroupLinger = size, time.Second }))
			ada := h.peers.host("masto.test").actor("Person", "ada", testKey(0))
			bea := h.peers.host("gts.test").actor("Person", "bea", testKey(1))
			cal := h.peers.host("other.test").actor("Person", "cal", testKey(2))
			dan := h.peers.host("lemmy.test").actor("Person", "dan", testKey(3))
			ids := h.firstContact(ada, bea, cal, dan)
			before := h.count(`SELECT post_count FROM threads WHERE id = $1`, h.thread.ID)
			groupsBefore, groupedBefore := counted(t, h.ib.metrics.replyGroups), counted(t, h.ib.metrics.groupedReplies)
			// The replies say when they were published to the second: made in the next second, none
			// is older than the thread's last post (an older one is stored alone, where it belongs).
			time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
			group := []forum.InboundRecord{inbound(t, ada, ids[0], h.reply(ada, 1, "one")),
				inbound(t, bea, ids[1], h.reply(bea, 1, "two")), inbound(t, cal, ids[2], h.reply(cal, 1, "three")),
				inbound(t, dan, ids[3], h.reply(dan, 1, "four"))}
			h.recordGroup(group...)
			h.settle()
			for _, in := range group {
				if at := h.appliedAt(in.APID); at == nil || h.outcome(in.APID) != "" {
					t.Fatalf("%s not applied as sent (outcome %q)", in.APID, h.outcome(in.APID))
				}
			}
			want := before + len(group)
			if n := h.count(`SELECT count(*) FROM posts WHERE thread_id = $1 AND position BETWEEN 1 AND $2`, h.thread.ID, want); n != want {
				t.Fatalf("%d posts at positions 1-%d in the thread, want %d", n, want, want)
			}
			if n := h.count(`SELECT post_count FROM threads WHERE id = $1`, h.thread.ID); n != want {
				t.Fatalf("the thread counts %d posts, want %d", n, want)
			}
			groups := counted(t, h.ib.metrics.replyGroups) - groupsBefore
			grouped := counted(t, h.ib.metrics.groupedReplies) - groupedBefore
			switch {
			case size == 1 && (groups != 0 || grouped != 0):
				t.Fatalf("replies not grouped: %v groups stored %v replies", groups, grouped)
			case size > 1 && (groups != 1 || grouped != 4):
				t.Fatalf("replies grouped: %v groups stored %v replies, want one group of 4", groups, grouped)
			}
		})
	}
}

// counted is a counter's value.
func counted(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
