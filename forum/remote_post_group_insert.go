package forum

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// groupInsert stores a group's placed replies (remote_post_group.go) with what each reply changes
// besides, as insertPostLocked and CreateRemotePost do for one, in one round trip of multi-row
// statements: the posts, each thread's counters and last post once, the search rows, each category
// stripe once, the relays nobody follows and the received activities marked applied. Then, one by
// one, the relays somebody follows (each queues its fan-out), and the notifications in one round
// trip (notifyGroup). The authors
// are remote: they have no read state to note (queueNotePosted skips them).
func (f *Forum) groupInsert(ctx context.Context, tx pgx.Tx, all []*groupReply, heard map[int64]bool) error {
	var rs []*groupReply
	for _, r := range all {
		if !r.decided && r.position != 0 {
			rs = append(rs, r)
		}
	}
	if len(rs) == 0 {
		return nil
	}
	var p groupPosts
	news := map[int64]*threadNews{}
	stripes := map[stripeKey]*threadNews{}
	var relays []NewActivity
	var unheard []*groupReply
	var finishes []int64
	for _, r := range rs {
		p.add(r, f.secrets.macHTML("post", r.id, r.html))
		lt := r.thread
		if n := news[lt.ID]; n == nil {
			news[lt.ID] = &threadNews{}
		}
		news[lt.ID].add(r.id, r.in.Published)
		k := stripeKey{lt.CategoryID, counterStripe(lt.ID)}
		if stripes[k] == nil {
			stripes[k] = &threadNews{}
		}
		if lt.listed() {
			stripes[k].add(r.id, r.in.Published)
		} else {
			stripes[k].count++ // counted, but no news to the category's visitors (countPost)
		}
		if relay, ok := relayActivity(r.cat, lt.ID, &r.id, r.in.InboundID); ok {
			if heard[lt.ID] {
				relays = append(relays, relay)
			} else {
				unheard = append(unheard, r)
			}
		}
		if r.in.Finishes != 0 {
			finishes = append(finishes, r.in.Finishes)
		}
	}

	b := &pgx.Batch{}
	b.Queue(`INSERT INTO posts (id, thread_id, author_id, position, in_reply_to_id, ap_id, url, source,
			source_kind, html, html_mac, summary, sensitive, created_at, remote_updated_at)
		SELECT x.id, x.thread_id, x.author_id, x.position, x.in_reply_to_id, x.ap_id, nullif(x.url, ''), x.source,
			'html', x.html, x.html_mac, x.summary, x.sensitive, x.created_at, x.remote_updated_at
		FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::int[], $5::bigint[], $6::text[], $7::text[],
			$8::text[], $9::text[], $10::bytea[], $11::text[], $12::bool[], $13::timestamptz[], $14::timestamptz[])
			AS x(id, thread_id, author_id, position, in_reply_to_id, ap_id, url, source, html, html_mac, summary,
				sensitive, created_at, remote_updated_at)`,
		p.ids, p.threads, p.authors, p.positions, p.parents, p.apids, p.urls, p.sources, p.htmls, p.macs,
		p.summaries, p.sensitive, p.created, p.updated)
	// As insertPostLocked's update, once per thread with its newest reply (placed last).
	var tIDs, tPosts []int64
	var tCounts []int
	var tAts []time.Time
	for id, n := range news {
		tIDs, tCounts, tPosts, tAts = append(tIDs, id), append(tCounts, n.count), append(tPosts, n.last), append(tAts, n.at)
	}
	b.Queue(`UPDATE threads t SET post_count = t.post_count + g.n,
			last_post_id = CASE WHEN t.last_post_id IS NULL OR g.at >= t.last_post_at THEN g.post ELSE t.last_post_id END,
			last_post_at = CASE WHEN t.last_post_id IS NULL OR g.at >= t.last_post_at THEN g.at ELSE t.last_post_at END
		FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::timestamptz[]) AS g(thread, n, post, at)
		WHERE t.id = g.thread`, tIDs, tCounts, tPosts, tAts)
	queueIndexPosts(b, p.ids, p.bodies)
	// The stripes' rows are locked in one order (category, stripe), whatever the group: two groups
	// whose threads share stripes would otherwise lock them in opposite orders and deadlock.
	keys := slices.SortedFunc(maps.Keys(stripes), func(a, b stripeKey) int {
		return cmp.Or(cmp.Compare(a.category, b.category), cmp.Compare(a.stripe, b.stripe))
	})
	var sCats []int64
	var sStripes []int16
	var sCounts []int
	var sAts []*time.Time
	for _, k := range keys {
		n := stripes[k]
		var at *time.Time
		if n.last != 0 {
			at = &n.at
		}
		sCats, sStripes, sCounts, sAts = append(sCats, k.category), append(sStripes, k.stripe), append(sCounts, n.count), append(sAts, at)
	}
	b.Queue(`INSERT INTO category_counters AS k (category_id, stripe, threads, posts, last_post_at)
		SELECT x.category_id, x.stripe, 0, x.posts, x.at
		FROM unnest($1::bigint[], $2::smallint[], $3::int[], $4::timestamptz[]) AS x(category_id, stripe, posts, at)`+addToStripe,
		sCats, sStripes, sCounts, sAts)
	if len(unheard) > 0 {
		queueInsertRelays(b, unheard)
	}
	if len(finishes) > 0 {
		b.Queue(`UPDATE inbound_activities SET applied_at = now(), outcome = '' WHERE id = ANY($1)`, finishes)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		if isUniqueViolation(err, "posts_ap_id_key") {
			return fmt.Errorf("a post of the group exists: %w", ErrConflict)
		}
		return fmt.Errorf("insert %d posts with their threads' and categories' counters, search rows and relays: %w", len(rs), err)
	}
	for _, a := range relays {
		if _, err := f.recordActivity(ctx, tx, a); err != nil {
			return err
		}
	}
	if err := f.notifyGroup(ctx, tx, rs); err != nil {
		return err
	}
	for _, r := range rs {
		r.res = RemotePostResult{ID: r.id, Created: true}
	}
	return nil
}

// groupPosts are the columns of a group's posts, one slice each, for a multi-row insert.
type groupPosts struct {
	ids, threads, authors, parents []int64
	positions                      []int
	apids, urls, sources, htmls    []string
	summaries, bodies              []string
	macs                           [][]byte
	sensitive                      []bool
	created                        []time.Time
	updated                        []*time.Time
}

func (p *groupPosts) add(r *groupReply, mac []byte) {
	var updated *time.Time
	if !r.in.Updated.IsZero() {
		updated = &r.in.Updated
	}
	p.ids, p.threads, p.authors, p.parents = append(p.ids, r.id), append(p.threads, r.thread.ID),
		append(p.authors, r.author.ID), append(p.parents, r.parent.ID)
	p.positions = append(p.positions, r.position)
	p.apids, p.urls, p.sources, p.htmls = append(p.apids, r.in.APID), append(p.urls, r.in.URL),
		append(p.sources, r.in.HTML), append(p.htmls, r.html)
	p.summaries, p.bodies = append(p.summaries, r.in.Summary), append(p.bodies, searchText(r.html))
	p.macs, p.sensitive = append(p.macs, mac), append(p.sensitive, r.in.Sensitive)
	p.created, p.updated = append(p.created, r.in.Published), append(p.updated, updated)
}

// threadNews counts a thread's (or a category stripe's) new posts and keeps the newest: the one
// placed last, whose time is the latest.
type threadNews struct {
	count int
	last  int64
	at    time.Time
}

func (n *threadNews) add(post int64, at time.Time) {
	n.count++
	if n.count == 1 || !at.Before(n.at) {
		n.last, n.at = post, at
	}
}

// stripeKey names one row of category_counters.
type stripeKey struct {
	category int64
	stripe   int16
}

// queueInsertRelays records, in one statement, the relays nobody follows of the received
// activities that carried rs: relayActivity's Announces, as queueInsertActivity would write them.
func queueInsertRelays(b *pgx.Batch, rs []*groupReply) {
	var actors, threads, posts, cats, inbound []int64
	for _, r := range rs {
		actors, threads, posts = append(actors, r.cat.ActorID), append(threads, r.thread.ID), append(posts, r.id)
		cats, inbound = append(cats, r.cat.ID), append(inbound, r.in.InboundID)
	}
	b.Queue(`INSERT INTO activities (verb, actor_id, thread_id, post_id, category_id, details)
		SELECT $1, x.actor_id, x.thread_id, x.post_id, x.category_id, jsonb_build_object('inbound', x.inbound)
		FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[])
			AS x(actor_id, thread_id, post_id, category_id, inbound)`,
		VerbAnnounce, actors, threads, posts, cats, inbound)
}
