package testdb_test

import (
	"context"
	"testing"

	"github.com/stoa-forum/stoa/internal/testdb"
	"github.com/stoa-forum/stoa/migrations"
)

func TestNewGivesAMigratedPrivateDatabase(t *testing.T) {
	t.Parallel()
	a := testdb.New(t)
	b := testdb.New(t)
	ctx := context.Background()

	st, err := migrations.Check(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if !st.UpToDate() {
		t.Fatalf("fresh database not migrated: %+v", st)
	}
	if _, err := a.Exec(ctx, "INSERT INTO actors (kind, username) VALUES ('person', 'only_in_a')"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.QueryRow(ctx, "SELECT count(*) FROM actors WHERE username = 'only_in_a'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("databases share rows: found %d in b", n)
	}
}
