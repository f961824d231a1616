package federation

import (
	"crypto/rsa"
	"io"

	"golang.org/x/crypto/ssh"

	"github.com/stoa-forum/stoa/internal/rsasign"
)

// rsaSHA256 hands httpsig the signing string's RSASSA-PKCS1-v1_5 SHA-256 signature made by
// internal/rsasign (OpenSSL when it loads: 3-4 times cheaper than crypto/rsa, and signing is
// nearly all a delivery costs). httpsig signs with crypto/rsa and a *rsa.PrivateKey only, except
// through its external-key hook, an ssh.Signer: httpsig passes it the signing string and takes
// the signature's bytes, whatever the SSH key type would say of the hash. The header's algorithm
// is written by sign as rsa-sha256, which is what this makes.
type rsaSHA256 struct{ key *rsa.PrivateKey }

// PublicKey is read once, by httpsig.NewSSHSigner, to tell an RSA key from an Ed25519 one.
func (s rsaSHA256) PublicKey() ssh.PublicKey {
	pub, err := ssh.NewPublicKey(&s.key.PublicKey)
	if err != nil {
		return nil
	}
	return pub
}

// Sign signs data, the signing string.
func (s rsaSHA256) Sign(_ io.Reader, data []byte) (*ssh.Signature, error) {
	sig, err := rsasign.SignSHA256(s.key, data)
	if err != nil {
		return nil, err
	}
	return &ssh.Signature{Format: ssh.KeyAlgoRSASHA256, Blob: sig}, nil
}
