package federation

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// loadPrivateKey reads a pinned test key from testdata/keys.
func loadPrivateKey(t testing.TB, name string) crypto.Signer {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "keys", name+".pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("%s: no PEM block", name)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return k.(crypto.Signer)
}

func loadRSAKey(t testing.TB, name string) *rsa.PrivateKey {
	t.Helper()
	return loadPrivateKey(t, name).(*rsa.PrivateKey)
}

// publicPEM reads a pinned test key's public half as published in actor documents.
func publicPEM(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "keys", name+".pub.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fixedClock is a clock tests set and move.
type fixedClock struct{ t time.Time }

func (c *fixedClock) Now() time.Time { return c.t }

func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
