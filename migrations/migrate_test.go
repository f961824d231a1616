package migrations_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stoa-forum/stoa/internal/testdb"
	"github.com/stoa-forum/stoa/migrations"
)

func TestEmbeddedMigrationsAreNumberedAndCommented(t *testing.T) {
	ms, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 {
		t.Fatal("no migrations embedded")
	}
	for i, m := range ms {
		if i > 0 && m.Version <= ms[i-1].Version {
			t.Errorf("migration %d_%s out of order", m.Version, m.Name)
		}
		if len(m.SQL) < 3 || m.SQL[:3] != "-- " {
			t.Errorf("migration %04d_%s must start with a comment saying why it exists", m.Version, m.Name)
		}
	}
}

func TestUpIsIdempotent(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t) // already migrated from the template
	ctx := context.Background()
	res, err := migrations.Up(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) != 0 || res.RiverApplied != 0 {
		t.Fatalf("second Up applied something: %+v", res)
	}
}

func TestRefusesANewerSchema(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, 'from_the_future')", migrations.Latest()+1); err != nil {
		t.Fatal(err)
	}
	if _, err := migrations.Check(ctx, pool); !errors.Is(err, migrations.ErrSchemaTooNew) {
		t.Fatalf("Check: got %v, want ErrSchemaTooNew", err)
	}
	if _, err := migrations.Up(ctx, pool); !errors.Is(err, migrations.ErrSchemaTooNew) {
		t.Fatalf("Up: got %v, want ErrSchemaTooNew", err)
	}
}

func TestCheckReportsAnEmptyDatabaseAsBehind(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, "DELETE FROM schema_migrations WHERE version = $1", migrations.Latest()); err != nil {
		t.Fatal(err)
	}
	st, err := migrations.Check(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if st.UpToDate() || st.Current >= st.Latest {
		t.Fatalf("Check says up to date after removing the last version: %+v", st)
	}
}

// A migration numbered below the newest applied one (branches merged out of order: 0081 came after
// 0095) still runs on a database that has the higher ones, and until it has, Check says so.
func TestAMissingMigrationBelowTheNewestIsApplied(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	ctx := context.Background()
	// As if 0081 had never run here: its row gone (running it again only redefines a function
	// with the same values).
	ms, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	var below migrations.Migration
	for _, m := range ms {
		if m.Version == 81 {
			below = m
		}
	}
	if below.Version == 0 || below.Version >= migrations.Latest() {
		t.Fatalf("the test needs migration 0081 below the newest (%d)", migrations.Latest())
	}
	if _, err := pool.Exec(ctx, "DELETE FROM schema_migrations WHERE version = $1", below.Version); err != nil {
		t.Fatal(err)
	}
	st, err := migrations.Check(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if st.UpToDate() || len(st.Missing) != 1 || st.Missing[0] != below.Version {
		t.Fatalf("Check with %04d missing: %+v", below.Version, st)
	}
	res, err := migrations.Up(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) != 1 || res.Applied[0].Version != below.Version {
		t.Fatalf("Up applied %+v, want only %04d", res.Applied, below.Version)
	}
	if st, err := migrations.Check(ctx, pool); err != nil || !st.UpToDate() {
		t.Fatalf("after Up: %+v, %v", st, err)
	}
}

// Autovacuum evaluates index expressions with an empty search_path: a function in an index that
// names another of ours unqualified fails there ("function ... does not exist"), and the table's
// statistics are never refreshed. This evaluates every index expression the same way, on a row.
func TestIndexExpressionsWorkWithAnEmptySearchPath(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO actors (kind, username, domain, ap_id, inbox_url, public_key_id, public_key_pem, fetched_at, fetch_attempted_at)
		VALUES ('person', 'tester', 'peer.example:8443', 'https://peer.example:8443/users/tester', 'https://peer.example:8443/users/tester/inbox',
		        'https://peer.example:8443/users/tester#main-key', 'pem', now(), now())`); err != nil {
		t.Fatal(err)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read only
	if _, err := tx.Exec(ctx, "SET LOCAL search_path = ''"); err != nil {
		t.Fatal(err)
	}
	// With an empty search_path, the deparsed expressions and table names come schema-qualified.
	rows, err := tx.Query(ctx, `SELECT i.indexrelid::pg_catalog.regclass::text, i.indrelid::pg_catalog.regclass::text,
		pg_catalog.pg_get_expr(i.indexprs, i.indrelid)
		FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE i.indexprs IS NOT NULL AND n.nspname = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	type index struct{ name, table, exprs string }
	var indexes []index
	for rows.Next() {
		var ix index
		if err := rows.Scan(&ix.name, &ix.table, &ix.exprs); err != nil {
			t.Fatal(err)
		}
		indexes = append(indexes, ix)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(indexes) == 0 {
		t.Fatal("no expression indexes found")
	}
	for _, ix := range indexes {
		if _, err := tx.Exec(ctx, "SAVEPOINT expr"); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "SELECT "+ix.exprs+" FROM "+ix.table+" LIMIT 1"); err != nil {
			t.Errorf("index %s: %s with an empty search_path: %v", ix.name, ix.exprs, err)
		}
		if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT expr"); err != nil {
			t.Fatal(err)
		}
	}
}
