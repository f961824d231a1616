package forum

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// MinSecretLen is the shortest configuration secret accepted.
const MinSecretLen = 32

// secrets are the subkeys derived from the configured secret, one per purpose, so a leak of one
// use (say, a MAC compared in a log) says nothing about the other.
type secrets struct {
	htmlMAC []byte
	seal    cipher.AEAD
}

func deriveSecrets(secret []byte) (secrets, error) {
	if len(secret) < MinSecretLen {
		return secrets{}, fmt.Errorf("forum: secret must be at least %d bytes, got %d", MinSecretLen, len(secret))
	}
	sub := func(purpose string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte("stoa/" + purpose))
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(sub("seal-private-keys"))
	if err != nil {
		return secrets{}, fmt.Errorf("forum: seal cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return secrets{}, fmt.Errorf("forum: seal cipher: %w", err)
	}
	return secrets{htmlMAC: sub("html-mac"), seal: aead}, nil
}

// macHTML binds rendered HTML to the row it belongs to: a MAC copied to another row does not verify.
func (s secrets) macHTML(kind string, id int64, html string) []byte {
	m := hmac.New(sha256.New, s.htmlMAC)
	fmt.Fprintf(m, "%s:%d:", kind, id)
	m.Write([]byte(html))
	return m.Sum(nil)
}

func (s secrets) htmlOK(kind string, id int64, html string, mac []byte) bool {
	return hmac.Equal(s.macHTML(kind, id, html), mac)
}

func (s secrets) sealBytes(plain, context []byte) ([]byte, error) {
	nonce := make([]byte, s.seal.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return s.seal.Seal(nonce, nonce, plain, context), nil
}

var errUnseal = errors.New("sealed value does not open with the configured secret")

func (s secrets) openBytes(sealed, context []byte) ([]byte, error) {
	n := s.seal.NonceSize()
	if len(sealed) < n {
		return nil, errUnseal
	}
	plain, err := s.seal.Open(nil, sealed[:n], sealed[n:], context)
	if err != nil {
		return nil, errUnseal
	}
	return plain, nil
}
