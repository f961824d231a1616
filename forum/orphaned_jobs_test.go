package forum

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/internal/testdb"
)

// A job left running by a process whose presence lock is gone runs again; one whose process still
// holds its lock, one too young, and one of a client not named after a presence stay as they are.
func TestOrphanedJobsRunAgainOnlyOnceTheirProcessIsGone(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	f, err := New(pool, Options{Secret: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	alive, dead := NewProcessPresence(), NewProcessPresence()
	for alive.key == dead.key {
		dead = NewProcessPresence()
	}
	holding, stop := context.WithCancel(ctx)
	held := make(chan bool, 4)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		f.KeepPresence(holding, alive, slog.New(slog.DiscardHandler), func(h bool) { held <- h })
	}()
	if !<-held {
		t.Fatal("the presence lock was not taken")
	}
	job := func(owner string, age time.Duration, attempt, maxAttempts int) (id int64) {
		t.Helper()
		err := pool.QueryRow(ctx, `INSERT INTO river_job (args, kind, max_attempts, queue, state, attempt,
			attempted_at, attempted_by, scheduled_at) VALUES ('{}', 'test', $4, 'default', 'running', $3,
			now() - make_interval(secs => $2), ARRAY[$1], now() - make_interval(secs => $2)) RETURNING id`,
			owner, age.Seconds(), attempt, maxAttempts).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	state := func(id int64) (s string) {
		t.Helper()
		if err := pool.QueryRow(ctx, `SELECT state FROM river_job WHERE id = $1`, id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	ofLive := job(alive.ClientID(), time.Minute, 1, 25)
	orphan := job(dead.ClientID(), time.Minute, 1, 25)
	lastTry := job(dead.ClientID(), time.Minute, 3, 3)
	young := job(dead.ClientID(), time.Second, 1, 25)
	foreign := job("river-client-of-another-kind", time.Minute, 1, 25)

	n, err := f.RescueOrphanedJobs(ctx, 10*time.Second, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 || state(orphan) != "available" || state(lastTry) != "discarded" {
		t.Fatalf("rescued %d; the orphan is %s, the one out of attempts %s", n, state(orphan), state(lastTry))
	}
	for name, id := range map[string]int64{"the live process's": ofLive, "the young": young, "the foreign": foreign} {
		if s := state(id); s != "running" {
			t.Errorf("%s job is %s, want running", name, s)
		}
	}
	// A database that started within the grace period takes nothing for an orphan.
	orphan2 := job(dead.ClientID(), time.Minute, 1, 25)
	if n, err := f.RescueOrphanedJobs(ctx, 10*time.Second, 100*365*24*time.Hour); err != nil || n != 0 {
		t.Fatalf("within the grace period: rescued %d, %v", n, err)
	}

	// Once the live process is gone, its job runs again too.
	stop()
	<-stopped
	if n, err := f.RescueOrphanedJobs(ctx, 10*time.Second, 0); err != nil || n != 2 || state(ofLive) != "available" || state(orphan2) != "available" {
		t.Fatalf("after the process ended: rescued %d (%v); its job is %s", n, err, state(ofLive))
	}
	var rescues int
	if err := pool.QueryRow(ctx, `SELECT (metadata->>'river:rescue_count')::int FROM river_job WHERE id = $1`, orphan).Scan(&rescues); err != nil || rescues != 1 {
		t.Fatalf("rescue count %d, %v", rescues, err)
	}
}
