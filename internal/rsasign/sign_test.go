package rsasign

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"weak"
)

// The machines Stoa runs its tests on have libcrypto.so.3 (Debian's libssl3, which PostgreSQL
// needs too): without it this package's native path would go untested.
func requireNative(t testing.TB) {
	t.Helper()
	if err := loadNative(); err != nil {
		t.Fatalf("libcrypto.so.3 is not loadable (install Debian's libssl3): %v", err)
	}
	if err := SetMode(OpenSSL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = SetMode(Auto) })
}

func newKey(t testing.TB, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func goSign(t testing.TB, key *rsa.PrivateKey, msg []byte) []byte {
	t.Helper()
	sum := sha256.Sum256(msg)
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// OpenSSL's signatures are crypto/rsa's, byte for byte, for keys of the sizes peers use and for
// messages from empty to long.
func TestNativeSignaturesAreCryptoRSAs(t *testing.T) {
	requireNative(t)
	if b := Backend(); !strings.HasPrefix(b, "OpenSSL 3") {
		t.Fatalf("backend %q, want OpenSSL 3", b)
	}
	for _, bits := range []int{2048, 3072, 4096} {
		key := newKey(t, bits)
		for _, msg := range [][]byte{nil, []byte("(request-target): post /inbox\nhost: a.example\ndate: x\ndigest: SHA-256=y"),
			bytes.Repeat([]byte("long header line "), 1000)} {
			got, err := SignSHA256(key, msg)
			if err != nil {
				t.Fatalf("%d bits, %d bytes: %v", bits, len(msg), err)
			}
			if want := goSign(t, key, msg); !bytes.Equal(got, want) {
				t.Fatalf("%d bits, %d bytes: OpenSSL's signature differs from crypto/rsa's", bits, len(msg))
			}
		}
		if nk, _ := keys.Load(weak.Make(key)); nk == nil || nk.(*nativeKey) == nil {
			t.Errorf("%d bits: the key was not signed with natively", bits)
		}
	}
}

// Go mode signs with crypto/rsa and says so; an unknown mode is refused.
func TestModes(t *testing.T) {
	requireNative(t)
	if err := SetMode(Go); err != nil {
		t.Fatal(err)
	}
	if b := Backend(); b != "crypto/rsa" {
		t.Errorf("backend in go mode %q", b)
	}
	key := newKey(t, 2048)
	got, err := SignSHA256(key, []byte("m"))
	if err != nil || !bytes.Equal(got, goSign(t, key, []byte("m"))) {
		t.Fatalf("go mode: %v", err)
	}
	if _, ok := keys.Load(weak.Make(key)); ok {
		t.Error("go mode handed the key to OpenSSL")
	}
	if err := SetMode("fast"); err == nil {
		t.Error("an unknown mode was accepted")
	}
}

// Many goroutines signing with one key and with several at once all get correct signatures.
func TestConcurrentSigning(t *testing.T) {
	requireNative(t)
	ks := []*rsa.PrivateKey{newKey(t, 2048), newKey(t, 2048)}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				key := ks[(g+i)%len(ks)]
				msg := []byte(fmt.Sprintf("goroutine %d message %d", g, i))
				sig, err := SignSHA256(key, msg)
				sum := sha256.Sum256(msg)
				if err == nil {
					err = rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], sig)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// A key's OpenSSL form goes when the Go key does: a server that signs for a million thread
// actors over its life does not keep a million OpenSSL keys.
func TestNativeKeysGoWithTheirGoKeys(t *testing.T) {
	requireNative(t)
	var strong []*rsa.PrivateKey
	var held []weak.Pointer[rsa.PrivateKey]
	for i := 0; i < 5; i++ {
		key := newKey(t, 1024)
		if _, err := SignSHA256(key, []byte("m")); err != nil {
			t.Fatal(err)
		}
		strong, held = append(strong, key), append(held, weak.Make(key))
	}
	remaining := func() (n int) {
		for _, wp := range held {
			if _, ok := keys.Load(wp); ok {
				n++
			}
		}
		return n
	}
	if n := remaining(); n != 5 {
		t.Fatalf("%d of the 5 keys signed with are held natively", n)
	}
	runtime.KeepAlive(strong)
	strong = nil
	deadline := time.Now().Add(5 * time.Second)
	for remaining() > 0 && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if n := remaining(); n != 0 {
		t.Errorf("%d native keys held after their Go keys were dropped", n)
	}
}

// BenchmarkSign compares the two implementations on one RSA-2048 key (go test -bench Sign
// ./internal/rsasign): the figures BENCHMARKS.md quotes.
func BenchmarkSign(b *testing.B) {
	key := newKey(b, 2048)
	msg := []byte("(request-target): post /inbox\nhost: a.example\ndate: Tue, 24 Nov 2026 21:00:00 GMT\ndigest: SHA-256=x")
	for _, m := range []Mode{Go, OpenSSL} {
		b.Run(string(m), func(b *testing.B) {
			if err := SetMode(m); err != nil {
				b.Fatal(err)
			}
			defer func() { _ = SetMode(Auto) }()
			for b.Loop() {
				if _, err := SignSHA256(key, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
