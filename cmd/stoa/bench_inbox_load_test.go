//go:build inboxbench

package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/federation"
)

// The inbox benchmark's load generator: remote actors served on loopback (one host name each,
// through STOA_UNSAFE_HOST_MAP, so every domain has its own rate limit as real peers do),
// activities signed before the clock starts (the generator shares the CPUs with Stoa, and a
// peer's signing is not Stoa's cost), senders that POST them, and a probe that times pages.

// benchPeers serves the actor documents of every generator host on one listener.
type benchPeers struct {
	srv    *httptest.Server
	actors []benchActor
	docs   map[string][]byte // "host/path" -> document
}

type benchActor struct {
	id  string
	key federation.SigningKey
}

// newBenchPeers serves n actors on n hosts (p000.test, ...), with a few RSA-2048 keys among them
// (the keys' number changes nothing Stoa does: each actor's key is fetched and cached once).
func newBenchPeers(t *testing.T, n int) *benchPeers {
	keys := make([]*rsa.PrivateKey, 4)
	for i := range keys {
		var err error
		if keys[i], err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			t.Fatal(err)
		}
	}
	bp := &benchPeers{docs: map[string][]byte{}}
	for i := 0; i < n; i++ {
		host := fmt.Sprintf("p%03d.test", i)
		id := "http://" + host + "/users/u" + fmt.Sprint(i)
		key := keys[i%len(keys)]
		der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := json.Marshal(map[string]any{
			"@context": []string{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"id":       id, "type": "Person", "preferredUsername": fmt.Sprintf("u%d", i), "name": fmt.Sprintf("Peer %d", i),
			"inbox": id + "/inbox", "outbox": id + "/outbox", "followers": id + "/followers",
			"endpoints": map[string]string{"sharedInbox": "http://" + host + "/inbox"},
			"publicKey": map[string]string{"id": id + "#main-key", "owner": id,
				"publicKeyPem": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))},
		})
		bp.docs[host+"/users/u"+fmt.Sprint(i)] = doc
		bp.actors = append(bp.actors, benchActor{id: id, key: federation.SigningKey{KeyID: id + "#main-key", Private: key}})
	}
	bp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := strings.Cut(r.Host, ":")
		doc, ok := bp.docs[host+r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/activity+json")
		_, _ = w.Write(doc)
	}))
	t.Cleanup(bp.srv.Close)
	return bp
}

// hostMap is the STOA_UNSAFE_HOST_MAP entries that send every generator host to the listener.
func (bp *benchPeers) hostMap() []string {
	var out []string
	for i := range bp.actors {
		out = append(out, fmt.Sprintf("p%03d.test=%s", i, bp.srv.Listener.Addr()))
	}
	return out
}

// signedPost is one activity ready to send: its body and the signed headers.
type signedPost struct {
	body   []byte
	header http.Header
}

// signReplies signs n distinct Create(Note) replies, round-robin over the actors, to the given
// posts (the openers of the threads the load spreads over), for the inbox at base.
func (bp *benchPeers) signReplies(t *testing.T, base, tag string, n int, parents []string) []signedPost {
	out := make([]signedPost, n)
	now := time.Now()
	published := now.UTC().Format(time.RFC3339)
	for i := range out {
		a := bp.actors[i%len(bp.actors)]
		id := fmt.Sprintf("%s/statuses/%s-%d", a.id, tag, i)
		body, _ := json.Marshal(map[string]any{
			"@context": "https://www.w3.org/ns/activitystreams",
			"id":       id + "/activity", "type": "Create", "actor": a.id, "published": published,
			"to": []string{"https://www.w3.org/ns/activitystreams#Public"}, "cc": []string{a.id + "/followers"},
			"object": map[string]any{"id": id, "type": "Note", "attributedTo": a.id, "inReplyTo": parents[i%len(parents)],
				"published": published, "url": id, "to": []string{"https://www.w3.org/ns/activitystreams#Public"},
				"cc":      []string{a.id + "/followers"},
				"content": fmt.Sprintf("<p>Reply %d from the load generator: a block plane, then a No. 4 smoother.</p>", i)},
		})
		req, err := http.NewRequest(http.MethodPost, base+"/inbox", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/activity+json")
		if err := a.key.SignPost(req, federation.DigestBody(body), now); err != nil {
			t.Fatal(err)
		}
		out[i] = signedPost{body: body, header: req.Header}
	}
	return out
}

// sendAll POSTs every activity through conns concurrent connections and returns how many were
// answered 202, the other answers by status, and when the last answer came. A 503 or 429 (the
// inbox is busy, or the domain over its rate) is retried after a pause, as peers retry; each is
// counted in others.
func sendAll(t *testing.T, base string, posts []signedPost, conns int) (accepted int, others map[int]int, last time.Time) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
	var next atomic.Int64
	var mu sync.Mutex
	others = map[int]int{}
	var ok atomic.Int64
	var wg sync.WaitGroup
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(posts) {
					return
				}
				for attempt := 0; ; attempt++ {
					req, _ := http.NewRequest(http.MethodPost, base+"/inbox", bytes.NewReader(posts[i].body))
					req.Header = posts[i].header.Clone()
					resp, err := client.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusAccepted {
						ok.Add(1)
						break
					}
					mu.Lock()
					others[resp.StatusCode]++
					mu.Unlock()
					busy := resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests
					if !busy || attempt >= 5 {
						break
					}
					time.Sleep(200 * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	return int(ok.Load()), others, time.Now()
}

// pageProbe GETs pages one after another until stopped and keeps each page's latencies, with
// when each request began (to tell the accepting burst from the applying after it).
type pageProbe struct {
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	lat  map[string][]probeSample
}

type probeSample struct {
	at time.Time
	d  time.Duration
}

func startProbe(t *testing.T, cookie string, urls ...string) *pageProbe {
	p := &pageProbe{stop: make(chan struct{}), done: make(chan struct{}), lat: map[string][]probeSample{}}
	client := &http.Client{}
	go func() {
		defer close(p.done)
		for {
			for _, u := range urls {
				select {
				case <-p.stop:
					return
				default:
				}
				req, err := http.NewRequest(http.MethodGet, u, nil)
				if err != nil {
					t.Error(err)
					return
				}
				req.Header.Set("Cookie", cookie)
				// As a reload does: the page is made, not taken from the page caches (see
				// TestInboxBenchmark).
				req.Header.Set("Cache-Control", "no-cache")
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("GET %s: %d", u, resp.StatusCode)
					return
				}
				p.mu.Lock()
				p.lat[u] = append(p.lat[u], probeSample{at: start, d: time.Since(start)})
				p.mu.Unlock()
				// Paced like readers, not a second load generator.
				time.Sleep(5 * time.Millisecond)
			}
		}
	}()
	return p
}

// finish stops the probe and returns each page's p50 and p99 and the number of samples.
func (p *pageProbe) finish() map[string][3]float64 {
	close(p.stop)
	<-p.done
	return p.between(time.Time{}, time.Now())
}

// between is finish's figures for the requests that began from from to before to (in ms).
func (p *pageProbe) between(from, to time.Time) map[string][3]float64 {
	out := map[string][3]float64{}
	for u, samples := range p.lat {
		var l []time.Duration
		for _, s := range samples {
			if !s.at.Before(from) && s.at.Before(to) {
				l = append(l, s.d)
			}
		}
		if len(l) == 0 {
			continue
		}
		slices.Sort(l)
		q := func(f float64) float64 { return float64(l[min(len(l)-1, int(f*float64(len(l))))]) / 1e6 }
		out[u] = [3]float64{q(0.50), q(0.99), float64(len(l))}
	}
	return out
}
