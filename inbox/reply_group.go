package inbox

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

// Replies of one batch stored together. A batch apply job applies its actors' activities side by
// side (batch.go); each reply they carry reaches storePost, which hands it to the batch's grouper
// instead of storing it: the grouper waits until every applier of the batch is either waiting for
// it or finished (or Options.ReplyGroupLinger passed, or it has Options.ReplyGroup replies), then
// stores what it holds with one forum.CreateRemotePosts, a transaction for the group, and gives
// each applier its own reply's result. Everything else about applying is unchanged: an activity's checks, its
// outcome, its hand-on to a job of its own when it failed for a reason that may pass.
//
// An applier waiting for its group gives its database slot back (Options.BatchParallel bounds the
// appliers doing their own database work at once), so the others can reach the group; the group's
// transaction is one more, and a grouper runs one at a time.

// defaultGroupLinger is how long a grouper waits, after its first reply, for an applier busy
// elsewhere (a fetch, say) before it stores what it has without it (Options.ReplyGroupLinger).
const defaultGroupLinger = 5 * time.Millisecond

type replyGrouper struct {
	forum   *forum.Forum
	log     *slog.Logger
	metrics *metrics
	// ctx is the batch's: the group's transaction ends with the batch's time.
	ctx    context.Context
	max    int
	linger time.Duration
	slots  chan struct{}

	mu       sync.Mutex
	active   int // appliers of the batch still running
	pending  []*groupedReply
	timer    *time.Timer
	lingered bool // the first pending reply waited linger
	storing  bool // a group's transaction is running
}

// groupedReply is one reply waiting for its group.
type groupedReply struct {
	in   forum.RemotePost
	done chan forum.RemotePostResult // buffered: the storer never waits for its applier
}

func newReplyGrouper(ctx context.Context, ib *Inbox, max int, slots chan struct{}) *replyGrouper {
	return &replyGrouper{forum: ib.forum, log: ib.log, metrics: ib.metrics, ctx: ctx, max: max, linger: ib.o.ReplyGroupLinger,
		slots: slots}
}

type grouperKey struct{}

// withGrouper makes the storePost calls under ctx go through g.
func withGrouper(ctx context.Context, g *replyGrouper) context.Context {
	return context.WithValue(ctx, grouperKey{}, g)
}

func grouperFrom(ctx context.Context) *replyGrouper {
	g, _ := ctx.Value(grouperKey{}).(*replyGrouper)
	return g
}

// enter counts an applier in; leave counts it out, when it has no more activities to apply. On a
// nil grouper (replies not grouped) both do nothing.
func (g *replyGrouper) enter() {
	if g == nil {
		return
	}
	g.mu.Lock()
	g.active++
	g.mu.Unlock()
}

func (g *replyGrouper) leave() {
	if g == nil {
		return
	}
	g.mu.Lock()
	g.active--
	group := g.takeReady()
	g.mu.Unlock()
	g.store(group)
}

// add hands a reply to the group and returns its result once the group is stored. The caller
// holds one of slots, which it gives back while it waits.
func (g *replyGrouper) add(in forum.RemotePost) forum.RemotePostResult {
	r := &groupedReply{in: in, done: make(chan forum.RemotePostResult, 1)}
	<-g.slots
	g.mu.Lock()
	g.pending = append(g.pending, r)
	if len(g.pending) == 1 {
		g.timer = time.AfterFunc(g.linger, g.lingerOver)
	}
	group := g.takeReady()
	g.mu.Unlock()
	g.store(group)
	res := <-r.done
	g.slots <- struct{}{}
	return res
}

func (g *replyGrouper) lingerOver() {
	g.mu.Lock()
	g.lingered = true
	group := g.takeReady()
	g.mu.Unlock()
	g.store(group)
}

// takeReady takes the pending replies when their group is due and no other is being stored: every
// applier still running waits for it, it is full, or it lingered long enough. g.mu is held.
func (g *replyGrouper) takeReady() []*groupedReply {
	n := len(g.pending)
	if g.storing || n == 0 || (n < g.active && n < g.max && !g.lingered) {
		return nil
	}
	n = min(n, g.max)
	group := g.pending[:n:n]
	g.pending = g.pending[n:]
	g.storing, g.lingered = true, false
	if g.timer != nil {
		g.timer.Stop()
	}
	if len(g.pending) > 0 {
		g.timer = time.AfterFunc(g.linger, g.lingerOver)
	}
	return group
}

// store stores a group taken by takeReady and answers its appliers, then the groups that became
// due meanwhile.
func (g *replyGrouper) store(group []*groupedReply) {
	for len(group) > 0 {
		ins := make([]forum.RemotePost, len(group))
		for i, r := range group {
			ins[i] = r.in
		}
		res, grouped, err := g.forum.CreateRemotePosts(g.ctx, ins)
		if err != nil {
			g.log.WarnContext(g.ctx, "inbox: a group of replies was stored one by one", "replies", len(ins), "err", err)
		}
		if grouped > 0 {
			g.metrics.replyGroups.Inc()
			g.metrics.groupedReplies.Add(float64(grouped))
		}
		for i, r := range group {
			r.done <- res[i]
		}
		g.mu.Lock()
		g.storing = false
		group = g.takeReady()
		g.mu.Unlock()
	}
}
