package forum

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/netip"
	"strings"
)

// Session cookies, password-reset links and access tokens are bearer secrets: 32 random bytes
// (256 bits, so guessing is hopeless and no per-token salt or slow hash is needed) encoded as
// URL-safe base64. The database stores only their SHA-256, so a dump or a backup cannot be used to
// sign in; lookups hash the presented token and compare by index.
const secretTokenBytes = 32

// newSecretToken returns a fresh token (with prefix prepended) and the hash to store.
func newSecretToken(prefix string) (token string, hash []byte, err error) {
	b := make([]byte, secretTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("random token: %w", err)
	}
	token = prefix + base64.RawURLEncoding.EncodeToString(b)
	return token, hashSecretToken(token), nil
}

func hashSecretToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// plausibleToken rejects obviously malformed tokens before they cost a query.
func plausibleToken(token, prefix string) bool {
	rest, ok := strings.CutPrefix(token, prefix)
	if !ok || len(rest) != base64.RawURLEncoding.EncodedLen(secretTokenBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(rest)
	return err == nil
}

// ipOrNil is the value stored in an inet column: NULL when the address is unknown.
func ipOrNil(ip netip.Addr) *netip.Addr {
	if !ip.IsValid() {
		return nil
	}
	ip = ip.Unmap()
	return &ip
}

// clip shortens s to at most n bytes, dropping a UTF-8 sequence the cut would split.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
