//go:build nolibcrypto

package rsasign

import "errors"

// Built with the nolibcrypto tag: no OpenSSL, crypto/rsa signs (doc.go).

type nativeKey struct{}

func loadNative() error { return errors.New("built without libcrypto (the nolibcrypto tag)") }

func nativeVersion() string { return "" }

func newNativeKey([]byte, int) (*nativeKey, error) { return nil, errors.New("no libcrypto") }

func (*nativeKey) sign([]byte) ([]byte, error) { return nil, errors.New("no libcrypto") }

func (*nativeKey) free() {}
