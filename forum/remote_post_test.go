package forum

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Applying a remote reply never needs a second pool connection while its transaction holds one:
// on a pool of one connection, with the permission cache cold, it still goes through (it waited
// for ever, until its deadline, when the permission sets were first loaded inside the transaction).
func TestRemoteReplyNeedsOneConnection(t *testing.T) {
	t.Parallel()
	fx := newInsertFixture(t)
	opener := fx.insert(t, time.Now().Add(-time.Hour), "opener")
	cfg := fx.f.db.Config().Copy()
	cfg.MaxConns = 1
	single, err := pgxpool.NewWithConfig(fx.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer single.Close()
	// With Link, the reply's notifications are made in its transaction too (notifyRemotePost).
	f, err := New(single, Options{Secret: []byte("insert-test-secret-0123456789abcdef"), Link: func(p string) string { return "https://here.example" + p }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(fx.ctx, 15*time.Second)
	defer cancel()
	_, created, err := f.CreateRemotePost(ctx, RemotePost{APID: "https://remote.example/p/single", AuthorID: fx.authorID,
		InReplyToID: opener.ID, HTML: "<p>one connection</p>", Published: time.Now().Add(-time.Minute)})
	if err != nil || !created {
		t.Fatalf("a reply on a pool of one connection: created %v, %v", created, err)
	}
}

// CreateRemotePost stores a reply in a few round trips (remote_post_steps.go): this checks that
// what it sends together still does all a reply does, in one transaction: the post, the thread's
// and the category's counters, the category's relay (published only when someone remote follows),
// the received activity marked applied (RemotePost.Finishes), and nothing of it when it is refused.
func TestRemoteReplyIsStoredCountedRelayedAndFinishedInOneTransaction(t *testing.T) {
	t.Parallel()
	fx := newInsertFixture(t)
	fed := &recordingFederator{}
	fx.f.federator = fed
	db := fx.f.db
	opener := fx.insert(t, time.Now().Add(-time.Hour), "opener")

	reply := func(label string, inbound int64) (int64, bool, error) {
		return fx.f.CreateRemotePost(fx.ctx, RemotePost{APID: "https://remote.example/p/" + label, AuthorID: fx.authorID,
			InReplyToID: opener.ID, HTML: "<p>" + label + "</p>", Published: time.Now().Add(-time.Minute),
			InboundID: inbound, Finishes: inbound})
	}
	type counts struct {
		threadPosts, catPosts, catThreads int
		lastPost                          int64
		threadLast, catLast               time.Time
	}
	count := func() counts {
		t.Helper()
		var c counts
		if err := db.QueryRow(fx.ctx, `SELECT t.post_count, t.last_post_id, t.last_post_at, c.post_count, c.thread_count, c.last_post_at
			FROM threads t JOIN category_totals c ON c.id = t.category_id WHERE t.id = $1`, fx.threadID).Scan(
			&c.threadPosts, &c.lastPost, &c.threadLast, &c.catPosts, &c.catThreads, &c.catLast); err != nil {
			t.Fatal(err)
		}
		return c
	}
	applied := func(inbound int64) bool {
		t.Helper()
		var done bool
		var outcome string
		if err := db.QueryRow(fx.ctx, `SELECT applied_at IS NOT NULL, outcome FROM inbound_activities WHERE id = $1`, inbound).Scan(&done, &outcome); err != nil {
			t.Fatal(err)
		}
		if done && outcome != "" {
			t.Fatalf("activity %d applied with outcome %q", inbound, outcome)
		}
		return done
	}
	relays := func(post int64) int {
		t.Helper()
		var n int
		if err := db.QueryRow(fx.ctx, `SELECT count(*) FROM activities WHERE verb = 'announce' AND post_id = $1`, post).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	before := count()
	in1 := fx.recordInbound(t, "one")
	id1, created, err := reply("one", in1)
	if err != nil || !created {
		t.Fatalf("reply: created %v, %v", created, err)
	}
	after := count()
	var createdAt time.Time
	if err := db.QueryRow(fx.ctx, `SELECT created_at FROM posts WHERE id = $1`, id1).Scan(&createdAt); err != nil {
		t.Fatal(err)
	}
	if after.threadPosts != before.threadPosts+1 || after.catPosts != before.catPosts+1 || after.catThreads != before.catThreads ||
		after.lastPost != id1 || !after.threadLast.Equal(createdAt) || !after.catLast.Equal(createdAt) {
		t.Fatalf("counters after a reply: %+v, before %+v (post %d at %v)", after, before, id1, createdAt)
	}
	if !applied(in1) {
		t.Fatal("the reply's activity is not marked applied by its transaction")
	}
	if relays(id1) != 1 || len(fed.ids) != 0 {
		t.Fatalf("relay of a reply nobody remote hears: %d recorded, %d published; want 1, 0", relays(id1), len(fed.ids))
	}

	// A redelivery changes nothing.
	if again, created, err := reply("one", in1); err != nil || created || again != id1 {
		t.Fatalf("redelivery: %d created %v, %v", again, created, err)
	}
	if c := count(); c != after {
		t.Fatalf("a redelivery changed the counters: %+v, was %+v", c, after)
	}

	// Someone remote follows the category: the next relay is published.
	var follower, catActor int64
	if err := db.QueryRow(fx.ctx, `INSERT INTO actors (kind, username, domain, ap_id, inbox_url)
		VALUES ('person', 'f', 'far.example', 'https://far.example/u/f', 'https://far.example/u/f/inbox') RETURNING id`).Scan(&follower); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(fx.ctx, `SELECT actor_id FROM categories WHERE id = $1`, fx.catID).Scan(&catActor); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fx.ctx, `INSERT INTO follows (follower_id, target_id, state) VALUES ($1, $2, 'accepted')`, follower, catActor); err != nil {
		t.Fatal(err)
	}
	in2 := fx.recordInbound(t, "two")
	id2, _, err := reply("two", in2)
	if err != nil {
		t.Fatal(err)
	}
	if relays(id2) != 1 || len(fed.ids) != 1 {
		t.Fatalf("relay of a reply a remote follower hears: %d recorded, %d published; want 1, 1", relays(id2), len(fed.ids))
	}

	// A refused reply leaves nothing: no post, no counts, no relay, the activity not applied.
	if _, err := db.Exec(fx.ctx, `UPDATE threads SET locked_at = now() WHERE id = $1`, fx.threadID); err != nil {
		t.Fatal(err)
	}
	held := count()
	in3 := fx.recordInbound(t, "three")
	if _, _, err := reply("three", in3); !errors.Is(err, ErrLocked) {
		t.Fatalf("reply in a locked thread: %v, want ErrLocked", err)
	}
	var stored int
	if err := db.QueryRow(fx.ctx, `SELECT count(*) FROM posts WHERE ap_id = 'https://remote.example/p/three'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if c := count(); c != held || stored != 0 || applied(in3) {
		t.Fatalf("a refused reply left: counters %+v (were %+v), %d posts, applied %v", c, held, stored, applied(in3))
	}

	// A remote post that opens a thread counts the thread and its post in the category.
	open := count()
	id4, created, err := fx.f.CreateRemotePost(fx.ctx, RemotePost{APID: "https://remote.example/p/four", AuthorID: fx.authorID,
		Thread: &RemoteThread{CategoryID: fx.catID}, HTML: "<p>A new topic</p>", Published: time.Now()})
	if err != nil || !created {
		t.Fatalf("opener: created %v, %v", created, err)
	}
	var posts, position int
	if err := db.QueryRow(fx.ctx, `SELECT t.post_count, p.position FROM posts p JOIN threads t ON t.id = p.thread_id WHERE p.id = $1`, id4).Scan(&posts, &position); err != nil {
		t.Fatal(err)
	}
	if c := count(); posts != 1 || position != 1 || c.catPosts != open.catPosts+1 || c.catThreads != open.catThreads+1 {
		t.Fatalf("opener: thread of %d posts at position %d, category %+v (was %+v)", posts, position, c, open)
	}
}

// Replies stored at once into one thread, by remote authors and a local member, still get the
// positions 1..n and the counts right: the thread's FOR NO KEY UPDATE lock (lockThreadRowSQL)
// serialises every insert into it, whichever path it comes by.
func TestConcurrentRepliesIntoOneThreadKeepPositionsAndCounts(t *testing.T) {
	t.Parallel()
	fx := newInsertFixture(t)
	db := fx.f.db
	opener := fx.insert(t, time.Now().Add(-time.Hour), "opener")
	// One reply first: CreateRemotePost reads the permissions on the pool inside its transaction,
	// and loading them cold with every one of the test pool's connections in a transaction would
	// wait for a connection forever.
	if _, _, err := fx.f.CreateRemotePost(fx.ctx, RemotePost{APID: "https://remote.example/p/first", AuthorID: fx.authorID,
		InReplyToID: opener.ID, HTML: "<p>first</p>", Published: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var catBefore int
	if err := db.QueryRow(fx.ctx, `SELECT post_count FROM category_totals WHERE id = $1`, fx.catID).Scan(&catBefore); err != nil {
		t.Fatal(err)
	}
	const remote, local = 12, 4
	errs := make(chan error, remote+local)
	for i := 0; i < remote; i++ {
		go func() {
			_, _, err := fx.f.CreateRemotePost(fx.ctx, RemotePost{APID: fmt.Sprintf("https://remote.example/p/c%d", i),
				AuthorID: fx.authorID, InReplyToID: opener.ID, HTML: fmt.Sprintf("<p>c%d</p>", i), Published: time.Now()})
			errs <- err
		}()
	}
	for i := 0; i < local; i++ {
		go func() {
			errs <- fx.f.inTx(fx.ctx, func(tx pgx.Tx) error {
				_, err := fx.f.insertPost(fx.ctx, tx, postInsert{ThreadID: fx.threadID, AuthorID: fx.authorID,
					Source: fmt.Sprintf("<p>l%d</p>", i), SourceKind: "html", HTML: fmt.Sprintf("<p>l%d</p>", i)})
				return err
			})
		}()
	}
	for i := 0; i < remote+local; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	labels := fx.order(t) // fails unless the positions are 1..n
	var threadPosts, catPosts int
	if err := db.QueryRow(fx.ctx, `SELECT t.post_count, c.post_count FROM threads t JOIN category_totals c ON c.id = t.category_id
		WHERE t.id = $1`, fx.threadID).Scan(&threadPosts, &catPosts); err != nil {
		t.Fatal(err)
	}
	if want := 2 + remote + local; len(labels) != want || threadPosts != want || catPosts != catBefore+remote+local {
		t.Fatalf("%d posts, thread counts %d, category %d (was %d); want %d posts", len(labels), threadPosts, catPosts, catBefore, want)
	}
}
