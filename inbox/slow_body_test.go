package inbox

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// holdSlowBodies opens n connections that POST to the inbox claiming a key on host, send the
// headers and one byte of a longer body, and then send nothing more: what anyone can do, since a
// keyId is only a claim until the body arrives and is verified.
func holdSlowBodies(t *testing.T, srvURL, host string, n int) {
	t.Helper()
	u, err := url.Parse(srvURL)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		fmt.Fprintf(c, "POST /inbox HTTP/1.1\r\nHost: forum.test\r\nContent-Type: application/activity+json\r\n"+
			"Date: %s\r\nDigest: SHA-256=AAAA\r\nSignature: keyId=\"https://%s/users/u%d#main-key\",headers=\"(request-target) host date digest\",signature=\"AAAA\"\r\n"+
			"Content-Length: 1000\r\n\r\n{", time.Now().UTC().Format(http.TimeFormat), host, i)
	}
	time.Sleep(200 * time.Millisecond) // the server has read their headers
}

// Connections that trickle their bodies hold no concurrency slot and do not count against the
// domain their (unverified) keyId names (SECURITY.md rule 17): with the only slot and more than the
// domain's in-flight bound held that way, a real peer of that domain and one of another are still
// answered 202 at once, not 503 (busy) or 429.
func TestSlowBodiesHoldNoSlotNorTheirClaimedDomainsCount(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withInbox(func(o *Options) { o.Concurrency, o.QueueWait, o.PerHost = 1, time.Second, 2 }))
	ada := h.peers.host("masto.test").actor("Person", "ada", testKey(0))
	bea := h.peers.host("gts.test").actor("Person", "bea", testKey(1))
	h.firstContact(ada, bea)
	holdSlowBodies(t, h.srv.URL, "gts.test", 4)
	for i, a := range []*remoteActor{ada, bea} {
		sig := a.signature()
		start := time.Now()
		status, msg := h.send("/inbox", h.reply(a, 10+i, "sent beside the slow ones"), &sig)
		if status != http.StatusAccepted || time.Since(start) > 900*time.Millisecond {
			t.Errorf("%s answered %d (%s) after %v while slow bodies were held", a.id, status, msg, time.Since(start))
		}
	}
}
