package forum

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters: OWASP's minimum (19 MiB, 2 passes, 1 lane). Stored with each hash, so they can
// be raised later and old hashes still verify.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// HashPassword returns a PHC-format argon2id hash.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

var errBadHash = errors.New("malformed password hash")

// isArgon2idHash reports whether h is a well-formed hash from HashPassword.
func isArgon2idHash(h string) bool {
	_, _, _, _, _, err := parseArgon2idHash(h)
	return err == nil
}

// passwordChecks counts argon2id verifications, so a test can see that every sign-in path pays
// for exactly one, whether or not the account exists (a timing measurement would be flaky).
var passwordChecks atomic.Int64

// CheckPassword reports whether password matches hash, in time independent of where they differ.
func CheckPassword(hash, password string) (bool, error) {
	passwordChecks.Add(1)
	mem, t, p, salt, want, err := parseArgon2idHash(hash)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, t, mem, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// parseArgon2idHash splits a PHC-format argon2id hash into its parameters, salt and key.
func parseArgon2idHash(hash string) (mem, t uint32, p uint8, salt, key []byte, err error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return 0, 0, 0, nil, nil, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return 0, 0, 0, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &p); err != nil || mem == 0 || t == 0 || p == 0 {
		return 0, 0, 0, nil, nil, errBadHash
	}
	enc := base64.RawStdEncoding
	if salt, err = enc.DecodeString(parts[4]); err != nil {
		return 0, 0, 0, nil, nil, errBadHash
	}
	if key, err = enc.DecodeString(parts[5]); err != nil || len(key) == 0 {
		return 0, 0, 0, nil, nil, errBadHash
	}
	return mem, t, p, salt, key, nil
}

// dummyHash is checked against when the account does not exist, so an unknown username costs the
// same time as a wrong password and timing reveals nothing.
var dummyHash = func() string {
	h, err := HashPassword("not a real password, only spends time")
	if err != nil {
		panic(err)
	}
	return h
}()

func validatePassword(v *ValidationError, field, password string) {
	switch {
	case len(password) < MinPasswordLen:
		v.Add(field, "must be at least %d characters", MinPasswordLen)
	case len(password) > MaxPasswordLen:
		v.Add(field, "must be at most %d characters", MaxPasswordLen)
	}
}
