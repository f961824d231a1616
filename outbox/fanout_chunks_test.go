package outbox

import (
	"fmt"
	"testing"
)

// A large fan-out's first transaction carries one batch, so the first inboxes are sent to while
// the rest is inserted; the others carry about fanOutDeliveries each; every delivery is carried
// once, an inbox's documents together and in order.
func TestBatchChunksCommitOneBatchFirst(t *testing.T) {
	var items []DeliverArgs
	for i := range 1000 {
		for _, doc := range []string{"", "announce"} {
			items = append(items, DeliverArgs{ActivityID: 7, Document: doc, Inbox: fmt.Sprintf("https://h%d.example/inbox", i)})
		}
	}
	chunks := batchChunks(7, 1, items)
	if len(chunks) < 2 {
		t.Fatalf("%d chunks", len(chunks))
	}
	if got := len(chunks[0].params); got != 1 {
		t.Errorf("the first chunk holds %d batches, want 1", got)
	}
	var seen []DeliverArgs
	for i, c := range chunks {
		n := 0
		for _, b := range c.carried {
			if len(b) > BatchSize {
				t.Errorf("a batch of %d deliveries", len(b))
			}
			n += len(b)
			seen = append(seen, b...)
		}
		if i > 0 && n > fanOutDeliveries+BatchSize {
			t.Errorf("chunk %d carries %d deliveries", i, n)
		}
	}
	if len(seen) != len(items) {
		t.Fatalf("%d deliveries carried, want %d", len(seen), len(items))
	}
	for i := range seen {
		if seen[i] != items[i] {
			t.Fatalf("delivery %d is %+v, want %+v (an inbox's documents together and in order)", i, seen[i], items[i])
		}
	}
}
