package forum

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Remote replies stored together. The inbox's batch apply job stored each reply in a transaction
// of its own (CreateRemotePost): BEGIN and COMMIT, five round trips, and for each reply the post's
// insert (with the statement triggers that tell every process which pages changed), its thread's
// update, its search row, its category stripe, its relay and its applied mark, each a statement
// PostgreSQL starts, plans and runs on its own. That was most of what applying a reply cost the
// database (BENCHMARKS.md, "Inbox"). CreateRemotePosts stores the replies handed to it in one
// transaction: one round trip takes their locks and looks up what they need, one locks their
// threads (in id order, so two groups cannot deadlock), one inserts the posts, their search rows,
// relays and applied marks with multi-row statements and updates each thread and category stripe
// once; then the notifications, and one commit.
//
// What the group cannot place that way is stored alone afterwards, by CreateRemotePost: a thread's
// opening post, a reply published before its thread's last post (it moves later posts down), one
// without a published time or with one in the future (stamped now), and a second copy of a post
// in the same group. When the group's transaction fails, every post of it is stored alone: one
// post cannot fail the others, and each gets the answer CreateRemotePost gives.

// RemotePostResult is what CreateRemotePosts did with one post: CreateRemotePost's results.
type RemotePostResult struct {
	ID      int64
	Created bool
	Err     error
}

// CreateRemotePosts stores remote posts as CreateRemotePost would, each with its own result, the
// replies among them together (above). grouped is how many were stored or answered by the group;
// groupErr is why the group's transaction failed, when it did (its posts were then stored alone,
// and their results say how that went).
func (f *Forum) CreateRemotePosts(ctx context.Context, ins []RemotePost) (res []RemotePostResult, grouped int, groupErr error) {
	res = make([]RemotePostResult, len(ins))
	var group, alone []int
	seen := make(map[string]bool, len(ins))
	for i, in := range ins {
		if !groupable(in) || seen[in.APID] {
			alone = append(alone, i)
			continue
		}
		seen[in.APID] = true
		group = append(group, i)
	}
	if len(group) < 2 { // one reply alone is what CreateRemotePost does best
		alone, group = append(alone, group...), nil
	}
	if len(group) > 0 {
		late, err := f.storeReplyGroup(ctx, ins, group, res)
		if err != nil {
			groupErr, late = err, group
		}
		grouped = len(group) - len(late)
		alone = append(alone, late...)
	}
	slices.Sort(alone) // in the order given: a redelivered copy finds the first stored
	for _, i := range alone {
		res[i].ID, res[i].Created, res[i].Err = f.CreateRemotePost(ctx, ins[i])
	}
	return res, grouped, groupErr
}

// groupable reports whether a post can be stored with others: a reply with a published time that
// is not in the future (CreateRemotePost stamps the others now).
func groupable(in RemotePost) bool {
	return in.Thread == nil && in.InReplyToID != 0 && !in.Published.IsZero() && !in.Published.After(time.Now())
}

// groupReply is one reply of a group on its way into the database.
type groupReply struct {
	at     int // its index in the caller's slice
	in     RemotePost
	html   string // sanitised
	id     int64  // the id it will have
	author Actor
	parent postRow
	thread *lockedThread
	cat    Category
	// position is its place in the thread; 0 until placed.
	position int
	// res is final once decided (rejected, or found stored before): the reply is not inserted.
	res     RemotePostResult
	decided bool
}

func (r *groupReply) decide(id int64, created bool, err error) {
	if err != nil {
		err = fmt.Errorf("remote post %s: %w", r.in.APID, err)
	}
	r.res, r.decided = RemotePostResult{ID: id, Created: created, Err: err}, true
}

// storeReplyGroup stores the replies ins[group...] in one transaction and writes their results to
// res, except those it left for CreateRemotePost (late). On error nothing was stored and res is
// untouched.
func (f *Forum) storeReplyGroup(ctx context.Context, ins []RemotePost, group []int, res []RemotePostResult) (late []int, err error) {
	rs := make([]*groupReply, 0, len(group))
	for _, i := range group {
		r := &groupReply{at: i, in: ins[i]}
		// PostgreSQL keeps microseconds: placing by the time it will store keeps equal times in
		// arrival order, as one reply after another would be.
		r.in.Published = r.in.Published.Truncate(time.Microsecond)
		if err := r.in.validate(); err != nil {
			r.decide(0, false, err)
		} else {
			r.html = f.markup.SanitizeHTML(r.in.HTML)
		}
		rs = append(rs, r)
	}
	// As in CreateRemotePost: loaded before the transaction, a cache hit inside it.
	if err := f.warmRemotePermissions(ctx); err != nil {
		return nil, err
	}
	err = f.inTx(ctx, func(tx pgx.Tx) error {
		if err := groupFirst(ctx, tx, rs); err != nil {
			return err
		}
		heard, err := f.groupLockThreads(ctx, tx, rs)
		if err != nil {
			return err
		}
		place(rs)
		return f.groupInsert(ctx, tx, rs, heard)
	})
	if err != nil {
		return nil, fmt.Errorf("store %d remote replies together: %w", len(rs), err)
	}
	for _, r := range rs {
		if r.decided || r.position != 0 {
			res[r.at] = r.res
			continue
		}
		late = append(late, r.at)
	}
	return late, nil
}

// undecided are the replies still on their way in.
func undecided(rs []*groupReply) []*groupReply {
	var out []*groupReply
	for _, r := range rs {
		if !r.decided {
			out = append(out, r)
		}
	}
	return out
}

// groupFirst is remotePostFirst for a group, in one round trip: it takes every reply's advisory
// lock (in one order, so two groups sharing posts cannot deadlock), finds those stored or
// tombstoned, loads the authors and the posts answered, and takes the ids.
func groupFirst(ctx context.Context, tx pgx.Tx, all []*groupReply) error {
	rs := undecided(all)
	if len(rs) == 0 {
		return nil
	}
	apids, authors, parents := make([]string, len(rs)), make([]int64, len(rs)), make([]int64, len(rs))
	for i, r := range rs {
		apids[i], authors[i], parents[i] = r.in.APID, r.in.AuthorID, r.in.InReplyToID
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT count(pg_advisory_xact_lock(h)) FROM (
		SELECT DISTINCT hashtextextended(a, 7) AS h FROM unnest($1::text[]) AS a ORDER BY 1) locks`, apids)
	b.Queue(`SELECT coalesce((SELECT id FROM posts WHERE ap_id = x.a), 0),
			EXISTS (SELECT 1 FROM remote_tombstones WHERE ap_id = x.a)
		FROM unnest($1::text[]) WITH ORDINALITY AS x(a, n) ORDER BY x.n`, apids)
	b.Queue("SELECT "+actorColumns+" FROM actors a WHERE a.id = ANY($1)", authors)
	b.Queue("SELECT "+postForWriteColumns+" FROM posts WHERE id = ANY($1)", parents)
	b.Queue(`SELECT nextval(pg_get_serial_sequence('posts', 'id')) FROM generate_series(1, $1)`, len(rs))
	br := tx.SendBatch(ctx, b)
	defer br.Close()

	if _, err := br.Exec(); err != nil {
		return fmt.Errorf("lock posts: %w", err)
	}
	known, err := br.Query()
	if err != nil {
		return err
	}
	stored, dead := make([]int64, 0, len(rs)), make([]bool, 0, len(rs))
	var s int64
	var d bool
	if _, err := pgx.ForEachRow(known, []any{&s, &d}, func() error {
		stored, dead = append(stored, s), append(dead, d)
		return nil
	}); err != nil {
		return err
	}
	rows, err := br.Query()
	if err != nil {
		return err
	}
	actors, err := pgx.CollectRows(rows, scanActor)
	if err != nil {
		return fmt.Errorf("authors: %w", err)
	}
	if rows, err = br.Query(); err != nil {
		return err
	}
	posts, err := pgx.CollectRows(rows, pgx.RowToStructByName[postRow])
	if err != nil {
		return fmt.Errorf("posts answered: %w", err)
	}
	if rows, err = br.Query(); err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("post ids: %w", err)
	}
	if len(stored) != len(rs) || len(ids) != len(rs) {
		return fmt.Errorf("looked up %d posts and took %d ids for %d replies", len(stored), len(ids), len(rs))
	}
	for i, r := range rs {
		r.id = ids[i]
		author, authorFound := findBy(actors, func(a Actor) bool { return a.ID == r.in.AuthorID })
		parent, parentFound := findBy(posts, func(p postRow) bool { return p.ID == r.in.InReplyToID })
		switch {
		case dead[i]:
			r.decide(0, false, fmt.Errorf("post %s was deleted by its origin: %w", r.in.APID, ErrGone))
		case stored[i] != 0:
			r.decide(stored[i], false, nil)
		case !authorFound:
			r.decide(0, false, fmt.Errorf("author: %w", ErrNotFound))
		case !parentFound:
			r.decide(0, false, fmt.Errorf("post %d: %w", r.in.InReplyToID, ErrNotFound))
		default:
			if err := remoteAuthorMayPost(author); err != nil {
				r.decide(0, false, err)
			}
			r.author, r.parent = author, parent
		}
	}
	return br.Close()
}

// findBy returns the first element of s for which match is true.
func findBy[T any](s []T, match func(T) bool) (T, bool) {
	if i := slices.IndexFunc(s, match); i >= 0 {
		return s[i], true
	}
	var zero T
	return zero, false
}

// groupLockThreads is lockReplyThread for a group: it locks the threads the replies go to, in id
// order, and reads them with their categories and whether a local category's relay of each
// thread's news reaches anyone (heard, by thread). Then it refuses what CreateRemotePost refuses
// there: a deleted or locked thread, a category that takes no remote replies.
func (f *Forum) groupLockThreads(ctx context.Context, tx pgx.Tx, all []*groupReply) (heard map[int64]bool, err error) {
	rs := undecided(all)
	var threadIDs []int64
	relays := false
	for _, r := range rs {
		threadIDs = append(threadIDs, r.parent.ThreadID)
		relays = relays || r.in.InboundID != 0
	}
	slices.Sort(threadIDs)
	threadIDs = slices.Compact(threadIDs)
	if len(threadIDs) == 0 {
		return nil, nil
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT `+threadColumns+`, (SELECT p.created_at FROM posts p WHERE p.id = t.last_post_id) AS last_created
		FROM threads t WHERE t.id = ANY($1) ORDER BY t.id FOR NO KEY UPDATE`, threadIDs)
	b.Queue("SELECT "+categoryColumns+" FROM categories c WHERE c.id IN (SELECT category_id FROM threads WHERE id = ANY($1))", threadIDs)
	if relays {
		b.Queue(`SELECT x.id, `+threadRelayHeard("x.id")+` FROM unnest($1::bigint[]) AS x(id)`, threadIDs)
	}
	br := tx.SendBatch(ctx, b)
	defer br.Close()

	rows, err := br.Query()
	if err != nil {
		return nil, fmt.Errorf("lock threads: %w", err)
	}
	threads, err := pgx.CollectRows(rows, pgx.RowToAddrOfStructByName[lockedThread])
	if err != nil {
		return nil, fmt.Errorf("lock threads: %w", err)
	}
	if rows, err = br.Query(); err != nil {
		return nil, err
	}
	cats, err := pgx.CollectRows(rows, pgx.RowToStructByName[Category])
	if err != nil {
		return nil, fmt.Errorf("categories of threads: %w", err)
	}
	heard = map[int64]bool{}
	if relays {
		if rows, err = br.Query(); err != nil {
			return nil, err
		}
		var id int64
		var h bool
		if _, err := pgx.ForEachRow(rows, []any{&id, &h}, func() error {
			heard[id] = h
			return nil
		}); err != nil {
			return nil, fmt.Errorf("followers of threads: %w", err)
		}
	}
	if err := br.Close(); err != nil {
		return nil, err
	}
	for _, r := range rs {
		lt, ok := findBy(threads, func(t *lockedThread) bool { return t.ID == r.parent.ThreadID })
		if !ok {
			r.decide(0, false, fmt.Errorf("thread %d: %w", r.parent.ThreadID, ErrNotFound))
			continue
		}
		cat, ok := findBy(cats, func(c Category) bool { return c.ID == lt.CategoryID })
		switch {
		case !ok:
			r.decide(0, false, fmt.Errorf("category %d: %w", lt.CategoryID, ErrNotFound))
		case lt.DeletedAt != nil:
			r.decide(0, false, fmt.Errorf("thread %d: %w", lt.ID, ErrGone))
		case lt.Locked():
			r.decide(0, false, fmt.Errorf("thread %d: %w", lt.ID, ErrLocked))
		default:
			if err := f.remoteMay(ctx, cat, false); err != nil {
				r.decide(0, false, err)
			}
			r.thread, r.cat = lt, cat
		}
	}
	return heard, nil
}

// place gives each reply still undecided its position: after its thread's posts, in published
// order (arrival order between equal times), as the replies one after another would have had.
// A reply published before its thread's last post is left unplaced, for CreateRemotePost.
func place(all []*groupReply) {
	rs := undecided(all)
	slices.SortStableFunc(rs, func(a, b *groupReply) int {
		return cmp.Or(cmp.Compare(a.thread.ID, b.thread.ID), a.in.Published.Compare(b.in.Published))
	})
	next := map[int64]int{}
	for _, r := range rs {
		lt := r.thread
		if lt.LastCreated != nil && r.in.Published.Before(*lt.LastCreated) {
			continue
		}
		if _, ok := next[lt.ID]; !ok {
			next[lt.ID] = lt.PostCount + 1
		}
		r.position = next[lt.ID]
		next[lt.ID]++
	}
}
