//go:build !nolibcrypto

package rsasign

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// libcrypto's functions Stoa calls, bound once by loadNative. Pointers to OpenSSL objects are
// uintptr: Go's garbage collector must neither follow nor move them.
var (
	native struct {
		once    sync.Once
		err     error
		version string
	}
	opensslVersion    func(t int32) string
	d2iAutoPrivateKey func(a uintptr, pp *uintptr, length int) uintptr // C long: Go's int on the platforms purego runs on
	evpPKEYFree       func(pkey uintptr)
	evpSHA256         func() uintptr
	evpMDCtxNew       func() uintptr
	evpMDCtxFree      func(ctx uintptr)
	evpMDCtxCopyEx    func(out, in uintptr) int32
	evpDigestSignInit func(ctx, pctx, md, engine, pkey uintptr) int32
	evpDigestSign     func(ctx uintptr, sig *byte, siglen *uintptr, tbs *byte, tbslen uintptr) int32 // size_t: uintptr
)

// loadNative opens libcrypto.so.3 and binds the functions, once; later calls return the first
// answer.
func loadNative() error {
	native.once.Do(func() {
		native.err = bind()
	})
	return native.err
}

func bind() (err error) {
	lib, err := purego.Dlopen("libcrypto.so.3", purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return fmt.Errorf("load libcrypto.so.3: %w", err)
	}
	// RegisterLibFunc panics on a missing symbol: a libcrypto without one is not used.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("libcrypto.so.3: %v", r)
		}
	}()
	purego.RegisterLibFunc(&opensslVersion, lib, "OpenSSL_version")
	purego.RegisterLibFunc(&d2iAutoPrivateKey, lib, "d2i_AutoPrivateKey")
	purego.RegisterLibFunc(&evpPKEYFree, lib, "EVP_PKEY_free")
	purego.RegisterLibFunc(&evpSHA256, lib, "EVP_sha256")
	purego.RegisterLibFunc(&evpMDCtxNew, lib, "EVP_MD_CTX_new")
	purego.RegisterLibFunc(&evpMDCtxFree, lib, "EVP_MD_CTX_free")
	purego.RegisterLibFunc(&evpMDCtxCopyEx, lib, "EVP_MD_CTX_copy_ex")
	purego.RegisterLibFunc(&evpDigestSignInit, lib, "EVP_DigestSignInit")
	purego.RegisterLibFunc(&evpDigestSign, lib, "EVP_DigestSign")
	native.version = opensslVersion(0) // OPENSSL_VERSION
	return nil
}

func nativeVersion() string { return native.version }

// nativeKey is a private key as OpenSSL holds it, with a digest-sign context (SHA-256, PKCS#1
// v1.5, the RSA default) set up once: copying it costs a fraction of setting up a new one.
// OpenSSL may copy one context from several threads at once, but Stoa does not rely on that:
// mu guards the template.
type nativeKey struct {
	mu       sync.Mutex
	pkey     uintptr
	template uintptr
	size     int
}

// newNativeKey hands a PKCS#1 DER private key to OpenSSL.
func newNativeKey(der []byte, size int) (*nativeKey, error) {
	p := uintptr(unsafe.Pointer(&der[0]))
	pkey := d2iAutoPrivateKey(0, &p, len(der))
	runtime.KeepAlive(der) // p held its address as a plain number
	if pkey == 0 {
		return nil, errors.New("openssl: the private key was not accepted")
	}
	k := &nativeKey{pkey: pkey, size: size}
	k.template = evpMDCtxNew()
	if k.template == 0 || evpDigestSignInit(k.template, 0, evpSHA256(), 0, pkey) != 1 {
		k.free()
		return nil, errors.New("openssl: no SHA-256 signing context for the key")
	}
	return k, nil
}

// sign returns the PKCS#1 v1.5 signature of SHA-256(msg).
func (k *nativeKey) sign(msg []byte) ([]byte, error) {
	ctx := evpMDCtxNew()
	if ctx == 0 {
		return nil, errors.New("openssl: out of memory")
	}
	defer evpMDCtxFree(ctx)
	k.mu.Lock()
	ok := evpMDCtxCopyEx(ctx, k.template) == 1
	k.mu.Unlock()
	if !ok {
		return nil, errors.New("openssl: copy of the signing context failed")
	}
	sig := make([]byte, k.size)
	n := uintptr(len(sig))
	var tbs *byte
	if len(msg) > 0 {
		tbs = &msg[0]
	}
	if evpDigestSign(ctx, &sig[0], &n, tbs, uintptr(len(msg))) != 1 || n != uintptr(k.size) {
		return nil, errors.New("openssl: signing failed")
	}
	return sig, nil
}

func (k *nativeKey) free() {
	if k.template != 0 {
		evpMDCtxFree(k.template)
	}
	evpPKEYFree(k.pkey)
}
