package federation

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// The signing benchmarks report ratios to a bare RSA-2048 PKCS#1 v1.5 signature measured in the
// same run (PERFORMANCE.md: absolute numbers swing on shared machines). Run:
//
//	go test -run XXX -bench 'RSA|Sign|Verify|Digest' -benchmem ./federation/

var benchBody = bytes.Repeat([]byte(`{"type":"Create","object":{"content":"x"}}`), 48) // ~2 KB

func BenchmarkRSASignBaseline(b *testing.B) {
	key := loadRSAKey(b, "remote-a")
	sum := sha256.Sum256([]byte("(request-target): post /inbox\nhost: remote.example\ndate: x\ndigest: y"))
	for b.Loop() {
		if _, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRSAVerifyBaseline(b *testing.B) {
	key := loadRSAKey(b, "remote-a")
	sum := sha256.Sum256([]byte("(request-target): post /inbox\nhost: remote.example\ndate: x\ndigest: y"))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignPost(b *testing.B) {
	key := SigningKey{KeyID: carolKey, Private: loadRSAKey(b, "remote-a")}
	digest := DigestBody(benchBody) // once per activity, not per inbox
	r, _ := http.NewRequest(http.MethodPost, "https://remote.example/inbox", nil)
	for b.Loop() {
		r.Header = http.Header{"Content-Type": {ActivityJSON}}
		if err := key.SignPost(r, digest, signedDate); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDigestBody(b *testing.B) {
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		_ = DigestBody(benchBody)
	}
}

func BenchmarkVerifyPost(b *testing.B) {
	v, err := NewVerifier(VerifierOptions{Keys: carolKeys(b), Host: "forum.example", Now: func() time.Time { return signedDate }})
	if err != nil {
		b.Fatal(err)
	}
	r := signedBenchPost(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := v.Verify(ctx, r, benchBody); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyPostStoredKey verifies a signed POST through the Verifier and real Actors over
// PostgreSQL, the signer's actor stored and fresh: what every inbound delivery of a known peer
// costs. keycache=off reads the signer's row on every request (the key cache turned off by a
// negative TTL), keycache=on serves the key from memory after the first. Needs STOA_DATABASE_URL:
//
//	go test -run '^$' -bench VerifyPostStoredKey -benchtime 2000x -count 3 ./federation/
func BenchmarkVerifyPostStoredKey(b *testing.B) {
	f, pool := forumtest.New(b, forum.Options{})
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO actors (kind, username, domain, ap_id, display_name, summary_html, url,
			inbox_url, shared_inbox_url, outbox_url, followers_url, public_key_id, public_key_pem, fetched_at, fetch_attempted_at)
		VALUES ('person', 'carol', 'gts.example', $1, 'Carol', '<p>hi</p>', 'https://gts.example/@carol', $1 || '/inbox',
			'https://gts.example/inbox', $1 || '/outbox', $1 || '/followers', $2, $3, now(), now())`,
		carolID, carolKey, publicPEM(b, "remote-a")); err != nil {
		b.Fatal(err)
	}
	fetcher, err := NewFetcher(FetcherOptions{IRIs: MustIRIs("https://forum.example"), Keys: testInstanceKey(b)})
	if err != nil {
		b.Fatal(err)
	}
	r := signedBenchPost(b)
	for _, bc := range []struct {
		name string
		ttl  time.Duration
	}{{"keycache=off", -1}, {"keycache=on", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			actors, err := NewActors(ActorsOptions{Forum: f, Fetcher: fetcher, IRIs: MustIRIs("https://forum.example"),
				KeyCacheTTL: bc.ttl})
			if err != nil {
				b.Fatal(err)
			}
			v, err := NewVerifier(VerifierOptions{Keys: actors, Host: "forum.example", Now: func() time.Time { return signedDate }})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				got, err := v.Verify(ctx, r, benchBody)
				if err != nil || got.Actor.Username != "carol" {
					b.Fatal(got, err)
				}
			}
		})
	}
}

// signedBenchPost is carol's signed POST of benchBody to the shared inbox.
func signedBenchPost(b *testing.B) *http.Request {
	b.Helper()
	r := httptest.NewRequest(http.MethodPost, "https://forum.example/inbox", bytes.NewReader(benchBody))
	r.Host = "forum.example"
	if err := carolSigner(b).SignPost(r, DigestBody(benchBody), signedDate); err != nil {
		b.Fatal(err)
	}
	return r
}
