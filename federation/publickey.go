package federation

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/go-fed/httpsig"
)

// RSA key sizes accepted from peers: every server Stoa federates with uses 2048 or 4096 bits;
// smaller keys are forgeable, much larger ones make each verification a denial of service.
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// ParsePublicKeyPEM reads an actor's publicKeyPem: a PKIX "PUBLIC KEY" block holding an RSA or
// Ed25519 key, or a PKCS#1 "RSA PUBLIC KEY" block (older Friendica and Hubzilla).
func ParsePublicKeyPEM(s string) (crypto.PublicKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("publicKeyPem holds no PEM block")
	}
	var key crypto.PublicKey
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, fmt.Errorf("publicKeyPem holds a %q block, not a public key", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("parse publicKeyPem: %w", err)
	}
	if _, _, err := keyAlgorithm(key); err != nil {
		return nil, err
	}
	return key, nil
}

// keyAlgorithm is the only algorithm a key may verify with, chosen by the key's type and never by
// the Signature header (SECURITY.md rule 10): RSA keys verify RSASSA-PKCS1-v1_5 with SHA-256 (what
// "rsa-sha256" and, in the fediverse, "hs2019" mean), Ed25519 keys verify Ed25519. name is the
// draft-cavage algorithm name a header may state.
func keyAlgorithm(key crypto.PublicKey) (httpsig.Algorithm, string, error) {
	switch k := key.(type) {
	case *rsa.PublicKey:
		if bits := k.N.BitLen(); bits < minRSABits || bits > maxRSABits {
			return "", "", fmt.Errorf("RSA key of %d bits: only %d to %d bits are accepted", bits, minRSABits, maxRSABits)
		}
		return httpsig.RSA_SHA256, "rsa-sha256", nil
	case ed25519.PublicKey:
		return httpsig.ED25519, "ed25519", nil
	}
	return "", "", fmt.Errorf("unsupported key type %T", key)
}

// headerAlgorithmAllowed reports whether a Signature header's algorithm parameter is compatible
// with the key's own algorithm: absent, "hs2019" (which defers to the key), or the key's exact
// algorithm. Anything else, including algorithms httpsig knows such as rsa-sha512 or hmac-sha256,
// is refused.
func headerAlgorithmAllowed(header, keyAlg string) bool {
	return header == "" || header == "hs2019" || header == keyAlg
}

// samePublicKey compares two parsed keys.
func samePublicKey(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	ea, ok := a.(equaler)
	return ok && ea.Equal(b)
}
