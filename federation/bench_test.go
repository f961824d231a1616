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
	r := httptest.NewRequest(http.MethodPost, "https://forum.example/inbox", bytes.NewReader(benchBody))
	r.Host = "forum.example"
	if err := carolSigner(b).SignPost(r, DigestBody(benchBody), signedDate); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		if _, err := v.Verify(ctx, r, benchBody); err != nil {
			b.Fatal(err)
		}
	}
}
