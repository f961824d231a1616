package forum

import (
	"context"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/internal/testdb"
)

// A page deep in a member's notifications descends the index to its cursor even under a generic
// plan, which a long-lived prepared statement may switch to: the cursor is an index condition, not a
// filter over every newer row (the old "($2 = 0 OR id < $2)" was one, and a page 18,500
// notifications deep cost 18 ms and growing).
func TestADeepPageOfNotificationsDescendsToItsCursorUnderAGenericPlan(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	ctx := context.Background()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, s := range []string{
		`SET plan_cache_mode = force_generic_plan`,
		`PREPARE page AS ` + notificationsPageSQL,
	} {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	var lines []string
	rows, err := conn.Query(ctx, `EXPLAIN EXECUTE page(1, 9223372036854775807, 21, '{1}', false)`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	plan := strings.Join(lines, "\n")
	if !strings.Contains(plan, "Index Cond: ((member_id = $1) AND (id < $2))") {
		t.Errorf("the generic plan does not bound the index by the cursor:\n%s", plan)
	}
}
