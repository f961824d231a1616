// Package fedtest holds what tests of outgoing federation share: an HTTP signature verifier that
// follows Mastodon's rules and is written independently of package federation (so a test does not
// check Stoa's signatures with Stoa's own verifier), and Sink, a remote inbox on loopback that
// verifies and records what it receives.
//
// Imports: the standard library only. Test code only: nothing in the product imports it.
package fedtest
