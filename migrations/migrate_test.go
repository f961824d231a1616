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
