package forum_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// BenchmarkRecordDeliveryOutcomes measures the bookkeeping of one delivery, written one by one
// (a statement per delivery) and in the batches the outbox's recorder writes (BENCHMARKS.md).
func BenchmarkRecordDeliveryOutcomes(b *testing.B) {
	for _, batch := range []int{1, 64} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			f, pool := forumtest.New(b, forum.Options{})
			ctx := context.Background()
			alice := forumtest.Member(b, f, "alice", forum.RoleMember)
			var activity int64
			if err := pool.QueryRow(ctx, `INSERT INTO activities (verb, actor_id) VALUES ('update', $1) RETURNING id`, alice.ID).Scan(&activity); err != nil {
				b.Fatal(err)
			}
			rows := make([]forum.DeliveryRow, b.N)
			for i := range rows {
				rows[i] = forum.DeliveryRow{ActivityID: activity, Inbox: fmt.Sprintf("https://h%d.example/inbox", i),
					Domain: fmt.Sprintf("h%d.example", i), JobID: int64(i + 1)}
			}
			tx, err := pool.Begin(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if err := f.InsertDeliveriesTx(ctx, tx, rows); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(ctx); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i += batch {
				var outs []forum.DeliveryOutcome
				var domains []string
				for j := i; j < min(i+batch, b.N); j++ {
					outs = append(outs, forum.DeliveryOutcome{ActivityID: activity, Inbox: rows[j].Inbox,
						State: forum.DeliveryDelivered, Attempted: true, Status: 202})
					domains = append(domains, rows[j].Domain)
				}
				if err := f.RecordDeliveryOutcomes(ctx, outs); err != nil {
					b.Fatal(err)
				}
				if err := f.RecordDeliveryResults(ctx, domains, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
