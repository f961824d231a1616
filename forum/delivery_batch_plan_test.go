package forum

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stoa-forum/stoa/internal/testdb"
)

// A batch reads its own rows, not its activity's: with 10,000 deliveries of one activity in
// batches of 32 (as a fan-out to 10,000 followers makes them), the batch's query must read a few
// dozen rows, where walking the activity's rows read all 10,000 for each of the 313 batches.
func TestPendingBatchItemsReadsOnlyItsBatch(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	ctx := context.Background()
	for _, s := range []string{
		`INSERT INTO actors (kind, username) VALUES ('group', 'general')`,
		`INSERT INTO activities (verb, actor_id) SELECT 'create', id FROM actors`,
		`INSERT INTO deliveries (activity_id, document, inbox, domain, job_id, batched, position)
			SELECT (SELECT id FROM activities), '', 'https://h' || g || '.example/inbox', 'h' || g || '.example',
				1000 + g / 32, true, g % 32
			FROM generate_series(0, 9999) g`,
		`ANALYZE deliveries`,
	} {
		if _, err := pool.Exec(ctx, s); err != nil {
			t.Fatalf("%v\n%s", err, s)
		}
	}
	var activity int64
	if err := pool.QueryRow(ctx, `SELECT id FROM activities`).Scan(&activity); err != nil {
		t.Fatal(err)
	}
	var out []byte
	if err := pool.QueryRow(ctx, "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "+pendingBatchItemsSQL, activity, int64(1100)).Scan(&out); err != nil {
		t.Fatal(err)
	}
	var plans []struct {
		Plan struct {
			ActualRows int64 `json:"Actual Rows"`
			SharedHit  int64 `json:"Shared Hit Blocks"`
			SharedRead int64 `json:"Shared Read Blocks"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal(out, &plans); err != nil {
		t.Fatal(err)
	}
	p := plans[0].Plan
	if p.ActualRows != 32 {
		t.Fatalf("the batch has %d pending rows, want 32", p.ActualRows)
	}
	// 32 rows sit in two or three heap pages, plus a few index pages; all 10,000 rows fill about 150.
	if blocks := p.SharedHit + p.SharedRead; blocks > 20 {
		t.Errorf("the batch's query read %d blocks for its 32 rows: it walks its activity's deliveries\n%s", blocks, out)
	}
}
