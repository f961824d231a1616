package forum_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

// The hand-written scanners (scan.go) read every column into the field RowToStructByName would,
// on a seeded forum's rows (remote authors, pinned, locked, hidden and deleted threads and posts,
// read state): the scanner and the column list cannot drift apart unnoticed.
func TestHandScannersMatchRowToStructByName(t *testing.T) {
	t.Parallel()
	f, pool, _ := newSeedForum(t)
	ctx := context.Background()
	if _, err := f.Seed(ctx, forum.SeedOptions{Threads: 200, PostsPerThread: 6, Members: 30, Password: "seed-test-password",
		Workers: 1}, nil); err != nil {
		t.Fatal(err)
	}
	var member int64
	if err := pool.QueryRow(ctx, `SELECT bench_member_id FROM stoa_seed`).Scan(&member); err != nil {
		t.Fatal(err)
	}
	// Every column of some actors holds a value of its own, so two columns of one type swapped in
	// the actor scanner show.
	if _, err := pool.Exec(ctx, `UPDATE actors SET display_name = 'dn' || id, summary_html = 'sh' || id, url = 'u' || id,
			avatar_url = 'av' || id, inbox_url = 'in' || id, shared_inbox_url = 'si' || id, outbox_url = 'ou' || id,
			followers_url = 'fo' || id, following_url = 'fi' || id, featured_url = 'fe' || id, public_key_id = 'k' || id,
			public_key_pem = 'pem' || id, manually_approves_followers = true, discoverable = false,
			also_known_as = ARRAY['aka' || id], moved_to_ap_id = 'mv' || id, fetched_at = now() - interval '1 minute',
			silenced_at = now() - interval '2 minutes', suspended_at = now() - interval '3 minutes',
			deleted_at = now() - interval '4 minutes', posts_removed_at = now() - interval '5 minutes'
		WHERE id % 3 = 0`); err != nil {
		t.Fatal(err)
	}
	for _, q := range forum.ScanChecks(member) {
		rows, err := pool.Query(ctx, q.SQL, q.Args...)
		if err != nil {
			t.Fatalf("%s: %v", q.Name, err)
		}
		want, err := q.Reflect(rows)
		if err != nil {
			t.Fatalf("%s by name: %v", q.Name, err)
		}
		rows, err = pool.Query(ctx, q.SQL, q.Args...)
		if err != nil {
			t.Fatalf("%s: %v", q.Name, err)
		}
		got, err := q.Hand(rows)
		if err != nil {
			t.Fatalf("%s by hand: %v", q.Name, err)
		}
		if reflect.ValueOf(want).Len() < 20 {
			t.Fatalf("%s: only %d rows to compare", q.Name, reflect.ValueOf(want).Len())
		}
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s: hand-scanned rows differ from RowToStructByName's\nwant %+v\ngot  %+v", q.Name, want, got)
		}
	}
}
