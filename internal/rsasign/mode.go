package rsasign

import (
	"fmt"
	"sync/atomic"
)

// Mode says which implementation signs.
type Mode string

const (
	Auto    Mode = "auto"    // OpenSSL when libcrypto loads, else crypto/rsa
	OpenSSL Mode = "openssl" // OpenSSL or an error at SetMode
	Go      Mode = "go"      // crypto/rsa only
)

// useNative is false until SetMode chooses OpenSSL: nothing is loaded before the program asks
// (stoa serve does at start), so a program that never does, or chooses Go, never opens libcrypto.
var useNative atomic.Bool

// SetMode chooses the implementation; "" is Auto. It fails for an unknown mode, and for OpenSSL
// when libcrypto cannot be loaded (the error says why).
func SetMode(m Mode) error {
	switch m {
	case "", Auto:
		useNative.Store(loadNative() == nil)
	case OpenSSL:
		if err := loadNative(); err != nil {
			return fmt.Errorf("rsa signer %q: %w", m, err)
		}
		useNative.Store(true)
	case Go:
		useNative.Store(false)
	default:
		return fmt.Errorf("rsa signer %q: want auto, openssl or go", m)
	}
	return nil
}

// Backend names what signs now: the OpenSSL version string, or "crypto/rsa".
func Backend() string {
	if useNative.Load() {
		return nativeVersion()
	}
	return "crypto/rsa"
}
