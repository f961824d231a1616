package rsasign

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"runtime"
	"sync"
	"weak"
)

// keys holds each private key's OpenSSL form, by a weak pointer to the Go key: the entry (and the
// OpenSSL objects) go when the Go key does. A nil value marks a key OpenSSL is not used for (it
// was refused, or failed the check), so it is not tried again.
var keys sync.Map // weak.Pointer[rsa.PrivateKey] -> *nativeKey

// checkMessage is what each key signs once natively to check the answer against crypto/rsa.
var checkMessage = []byte("stoa rsasign self-check")

// SignSHA256 returns the RSASSA-PKCS1-v1_5 signature of SHA-256(msg) by key: the same bytes
// crypto/rsa would give (the scheme is deterministic), made by OpenSSL when it is in use.
func SignSHA256(key *rsa.PrivateKey, msg []byte) ([]byte, error) {
	if useNative.Load() {
		if nk := nativeFor(key); nk != nil {
			sig, err := nk.sign(msg)
			runtime.KeepAlive(key) // the cleanup that frees nk waits for key
			if err == nil {
				return sig, nil
			}
			// OpenSSL failed (out of memory, say): the delivery need not fail with it.
		}
	}
	sum := sha256.Sum256(msg)
	return rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
}

// nativeFor is key's OpenSSL form, made on first use, or nil when OpenSSL is not to sign with it.
func nativeFor(key *rsa.PrivateKey) *nativeKey {
	wp := weak.Make(key)
	if v, ok := keys.Load(wp); ok {
		return v.(*nativeKey)
	}
	nk := prepare(key)
	if v, loaded := keys.LoadOrStore(wp, nk); loaded {
		if nk != nil {
			nk.free()
		}
		return v.(*nativeKey)
	}
	runtime.AddCleanup(key, func(wp weak.Pointer[rsa.PrivateKey]) {
		if v, ok := keys.LoadAndDelete(wp); ok && v.(*nativeKey) != nil {
			v.(*nativeKey).free()
		}
	}, wp)
	return nk
}

// prepare hands key to OpenSSL and checks one signature with crypto/rsa; nil if either fails.
func prepare(key *rsa.PrivateKey) *nativeKey {
	nk, err := newNativeKey(x509.MarshalPKCS1PrivateKey(key), key.Size())
	if err != nil {
		return nil
	}
	sig, err := nk.sign(checkMessage)
	sum := sha256.Sum256(checkMessage)
	if err != nil || rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		nk.free()
		return nil
	}
	return nk
}
