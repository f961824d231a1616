package forum

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"sync"
)

// MinSecretLen is the shortest configuration secret accepted.
const MinSecretLen = 32

// secrets are the subkeys derived from the configured secret, one per purpose, so a leak of one
// use (say, a MAC compared in a log) says nothing about the other.
type secrets struct {
	htmlMAC []byte
	seal    cipher.AEAD
	// htmlMACers are HMACs keyed with htmlMAC, reused (htmlMACer).
	htmlMACers *sync.Pool
}

// htmlMACer is an HMAC keyed for HTML and a scratch buffer, reused across checks: every post a
// page reads from the database is checked (render.go), and a fresh hmac.New hashes its key twice
// and writing a string to a hash copies it to the heap first.
type htmlMACer struct {
	mac hash.Hash
	buf [4096]byte
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
	htmlKey := sub("html-mac")
	return secrets{htmlMAC: htmlKey, seal: aead, htmlMACers: &sync.Pool{New: func() any {
		return &htmlMACer{mac: hmac.New(sha256.New, htmlKey)}
	}}}, nil
}

// macHTML binds rendered HTML to the row it belongs to: a MAC copied to another row does not verify.
// It is the HMAC of "<kind>:<id>:<html>".
func (s secrets) macHTML(kind string, id int64, html string) []byte {
	m := s.htmlMACers.Get().(*htmlMACer)
	defer s.htmlMACers.Put(m)
	m.mac.Reset()
	prefix := append(m.buf[:0], kind...)
	prefix = append(strconv.AppendInt(append(prefix, ':'), id, 10), ':')
	m.mac.Write(prefix)
	for len(html) > 0 {
		n := copy(m.buf[:], html)
		m.mac.Write(m.buf[:n])
		html = html[n:]
	}
	return m.mac.Sum(nil)
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
