// Package rsasign makes the RSASSA-PKCS1-v1_5 SHA-256 signatures of HTTP Signatures (the
// "rsa-sha256" every fediverse server verifies), through the system's libcrypto (OpenSSL 3) when
// it can be loaded, and through crypto/rsa otherwise.
//
// Why: signing is nearly all of what a delivery costs the sender (BENCHMARKS.md), and on the
// machines Stoa was measured on OpenSSL signs 3-4 times faster than crypto/rsa (its assembly
// for modular exponentiation against Go's constant-time generic code). A forum fanning a thread
// out to thousands of inboxes spends that difference on every one of them.
//
// How: libcrypto is opened at run time (purego's dlopen, no cgo and no headers at build time),
// when SetMode asks for it, and a machine without libcrypto.so.3 signs with crypto/rsa. purego
// links the binary dynamically (against libc) even with CGO_ENABLED=0; the build tag nolibcrypto
// leaves the native path out, for a fully static binary (a scratch or distroless-static image). Each
// private key is handed to OpenSSL once (DER, d2i_AutoPrivateKey) and kept beside the Go key
// for as long as that key lives (a weak pointer and a cleanup), with a digest-sign context set
// up once and copied per signature. PKCS#1 v1.5 signatures are deterministic, so the native
// signature is checked against crypto/rsa's verification once per key before it is trusted: a
// library that answers differently is not used for that key.
//
// Mode (SetMode, from STOA_RSA_SIGNER): "auto" (stoa serve's default) uses OpenSSL when it loads,
// "openssl" requires it, "go" never uses it (for comparisons, and as an escape hatch). Until
// SetMode is called, crypto/rsa signs. A native signature that fails is made again by crypto/rsa.
package rsasign
