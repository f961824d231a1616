package migrations

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed *.sql
var files embed.FS

// lockKey serialises migrations between processes that start at the same time (several instances
// of `stoa serve`, or test packages creating their template database).
const lockKey = 0x570A_0001

// Migration is one embedded schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// ErrSchemaTooNew means the database has migrations this binary does not know.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary")

// All returns the embedded migrations in order.
func All() ([]Migration, error) {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var ms []Migration
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: name must be NNNN_name.sql", name)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %q and %q share version %d", other, name, v)
		}
		seen[v] = name
		body, err := fs.ReadFile(files, path.Join(".", name))
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", name, err)
		}
		ms = append(ms, Migration{Version: v, Name: rest, SQL: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// Latest is the newest version embedded in this binary.
func Latest() int {
	ms, err := All()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// Result says what Up did.
type Result struct {
	Applied      []Migration
	RiverApplied int
}

// Up applies every embedded migration the database lacks, each in its own transaction, then River's.
// It holds an advisory lock for the whole run so concurrent starters wait instead of racing.
func Up(ctx context.Context, pool *pgxpool.Pool) (Result, error) {
	var res Result
	ms, err := All()
	if err != nil {
		return res, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return res, fmt.Errorf("acquire connection: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		return res, fmt.Errorf("take migration lock: %w", err)
	}
	defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockKey) }()

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return res, fmt.Errorf("create schema_migrations: %w", err)
	}
	applied, err := appliedVersions(ctx, conn.Conn())
	if err != nil {
		return res, err
	}
	if current, latest := maxVersion(applied), lastVersion(ms); current > latest {
		return res, fmt.Errorf("%w: database at %d, binary knows up to %d", ErrSchemaTooNew, current, latest)
	}
	// Every migration not yet applied runs, in order, including one numbered below the newest
	// applied: branches merged in another order than their numbers (0081 after 0095) must not be
	// skipped on databases that already had the higher ones.
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		if err := pgx.BeginFunc(ctx, conn.Conn(), func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name)
			return err
		}); err != nil {
			return res, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
		res.Applied = append(res.Applied, m)
	}

	migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return res, fmt.Errorf("river migrator: %w", err)
	}
	rr, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return res, fmt.Errorf("river migrations: %w", err)
	}
	res.RiverApplied = len(rr.Versions)
	return res, nil
}

// Status is what Check found.
type Status struct {
	Current int   // newest applied version of Stoa's own migrations
	Latest  int   // newest version this binary embeds
	Missing []int // versions this binary embeds that the database has not applied
	River   bool  // River's schema is current
}

// UpToDate reports whether the database is exactly at this binary's schema.
func (s Status) UpToDate() bool { return s.Current == s.Latest && len(s.Missing) == 0 && s.River }

// Check reads the schema state without changing anything; /readyz and `stoa serve` use it.
func Check(ctx context.Context, pool *pgxpool.Pool) (Status, error) {
	st := Status{Latest: Latest()}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return st, fmt.Errorf("acquire connection: %w", err)
	}
	defer conn.Release()
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&exists); err != nil {
		return st, fmt.Errorf("look for schema_migrations: %w", err)
	}
	applied := map[int]bool{}
	if exists {
		if applied, err = appliedVersions(ctx, conn.Conn()); err != nil {
			return st, err
		}
		st.Current = maxVersion(applied)
	}
	ms, err := All()
	if err != nil {
		return st, err
	}
	for _, m := range ms {
		if !applied[m.Version] {
			st.Missing = append(st.Missing, m.Version)
		}
	}
	if st.Current > st.Latest {
		return st, fmt.Errorf("%w: database at %d, binary knows up to %d", ErrSchemaTooNew, st.Current, st.Latest)
	}
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return st, fmt.Errorf("river migrator: %w", err)
	}
	vr, err := migrator.Validate(ctx, nil)
	if err != nil {
		return st, fmt.Errorf("validate river schema: %w", err)
	}
	st.River = vr.OK
	return st, nil
}

// appliedVersions reads the versions recorded in schema_migrations.
func appliedVersions(ctx context.Context, conn *pgx.Conn) (map[int]bool, error) {
	rows, err := conn.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema versions: %w", err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, fmt.Errorf("read schema versions: %w", err)
	}
	applied := make(map[int]bool, len(vs))
	for _, v := range vs {
		applied[v] = true
	}
	return applied, nil
}

func maxVersion(applied map[int]bool) int {
	v := 0
	for a := range applied {
		v = max(v, a)
	}
	return v
}

func lastVersion(ms []Migration) int {
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}
