package giveway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// slowServer serves, through g, requests that stay in flight until release is called.
func slowServer(t *testing.T, g *Gate) (srv *httptest.Server, entered chan struct{}, release func()) {
	t.Helper()
	entered, released := make(chan struct{}, 8), make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(released) }) }
	srv = httptest.NewServer(g.Track(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-released
	})))
	t.Cleanup(srv.Close)
	t.Cleanup(release) // first: Close waits for the requests in flight
	return srv, entered, release
}

func get(t *testing.T, url string, done chan<- struct{}) {
	go func() {
		defer close(done)
		resp, err := http.Get(url)
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
	}()
}

func TestYieldDoesNotWaitWhenNoRequestIsInFlight(t *testing.T) {
	g := New(time.Hour)
	if g.Yield(context.Background()) {
		t.Fatal("Yield waited with no request in flight")
	}
}

// Yield waits while a request is served, and returns as soon as the last one has been answered.
func TestYieldWaitsUntilTheRequestsInFlightEnd(t *testing.T) {
	g := New(time.Hour)
	srv, entered, release := slowServer(t, g)
	done1, done2 := make(chan struct{}), make(chan struct{})
	get(t, srv.URL, done1)
	get(t, srv.URL, done2)
	<-entered
	<-entered
	var released atomic.Bool
	yielded := make(chan bool)
	go func() { yielded <- g.Yield(context.Background()) }()
	select {
	case <-yielded:
		t.Fatal("Yield returned while two requests were in flight")
	case <-time.After(50 * time.Millisecond):
	}
	released.Store(true)
	release()
	select {
	case waited := <-yielded:
		if !waited || !released.Load() {
			t.Fatalf("Yield returned waited=%v before the requests ended", waited)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Yield still waiting 10 s after the requests ended")
	}
	<-done1
	<-done2
	if g.Yield(context.Background()) {
		t.Fatal("Yield waited after every request ended")
	}
}

// Under requests that never end, background work still moves on: Yield gives up after maxWait,
// and at once when its context ends.
func TestYieldWaitsAtMostItsBound(t *testing.T) {
	const bound = 30 * time.Millisecond
	g := New(bound)
	srv, entered, release := slowServer(t, g)
	done := make(chan struct{})
	get(t, srv.URL, done)
	<-entered
	start := time.Now()
	if !g.Yield(context.Background()) {
		t.Fatal("Yield did not wait with a request in flight")
	}
	if took := time.Since(start); took < bound || took > 10*time.Second {
		t.Fatalf("Yield returned after %v, want its bound %v", took, bound)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	forever := New(time.Hour)
	forever.enter()
	start = time.Now()
	forever.Yield(ctx)
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("Yield with an ended context returned after %v", took)
	}
	release()
	<-done
}
