package forum

import (
	"context"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/internal/testdb"
)

// twoProcesses returns two Forums on one fresh database, standing for two processes, and an
// admin viewer.
func twoProcesses(t *testing.T) (writer, reader *Forum, admin Viewer) {
	t.Helper()
	pool := testdb.New(t)
	secret := []byte("listen-test-secret-0123456789abcdef")
	var err error
	if writer, err = New(pool, Options{Secret: secret}); err != nil {
		t.Fatal(err)
	}
	if reader, err = New(pool, Options{Secret: secret}); err != nil {
		t.Fatal(err)
	}
	return writer, reader, Viewer{ActorID: -1, Username: "root", Role: RoleAdmin}
}

// listen runs f.ListenForChanges until ctx ends, waits until it is subscribed, and returns a
// channel closed when it has returned.
func listen(t *testing.T, ctx context.Context, f *Forum) <-chan struct{} {
	t.Helper()
	subscribed := make(chan struct{}, 1)
	f.listening = func() { subscribed <- struct{}{} }
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.ListenForChanges(ctx, func(err error) { t.Logf("listener: %v", err) })
	}()
	select {
	case <-subscribed:
	case <-time.After(10 * time.Second):
		t.Fatal("listener did not subscribe")
	}
	return done
}
