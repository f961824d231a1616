package inbox

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/giveway"
)

// While the server answers a request, a batch job applies nothing (Options.GiveWay, here with no
// bound on the wait); once the request is answered, it applies the whole batch.
func TestBatchGivesWayToRequestsInFlight(t *testing.T) {
	t.Parallel()
	gate := giveway.New(time.Hour)
	h := newHarness(t, withRecorder(RecorderOptions{MaxGroup: 2, Linger: 10 * time.Second, Committers: 1}),
		withInbox(func(o *Options) { o.GiveWay = gate }))
	ada := h.peers.host("masto.test").actor("Person", "ada", testKey(0))
	bea := h.peers.host("gts.test").actor("Person", "bea", testKey(1))
	ids := h.firstContact(ada, bea)

	entered, release := make(chan struct{}), make(chan struct{})
	page := httptest.NewServer(gate.Track(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
	})))
	defer page.Close()
	var once sync.Once
	answer := func() { once.Do(func() { close(release) }) }
	defer answer() // before page.Close, which waits for the request
	answered := make(chan error, 1)
	go func() {
		resp, err := http.Get(page.URL)
		if err == nil {
			resp.Body.Close()
		}
		answered <- err
	}()
	<-entered

	group := []forum.InboundRecord{inbound(t, ada, ids[0], h.reply(ada, 1, "while a page is served")),
		inbound(t, bea, ids[1], h.reply(bea, 1, "also while it is served"))}
	h.recordGroup(group...)
	time.Sleep(500 * time.Millisecond) // the batch job is fetched within River's cooldown
	for _, in := range group {
		if at := h.appliedAt(in.APID); at != nil {
			t.Fatalf("%s applied at %v while a request was in flight", in.APID, at)
		}
	}
	answer()
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	h.settle()
	for _, in := range group {
		if h.appliedAt(in.APID) == nil || h.outcome(in.APID) != "" {
			t.Fatalf("%s not applied once the request was answered (outcome %q)", in.APID, h.outcome(in.APID))
		}
	}
}
