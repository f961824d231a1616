// Package federation is Stoa's ActivityPub vocabulary and read side: it maps forum values to
// ActivityStreams documents with go-fed's streams package (kept behind this package so nothing else
// pays for its build), derives and parses Stoa's IRIs, serves WebFinger, host-meta, NodeInfo, actors,
// objects and collections, signs and verifies HTTP signatures (go-fed/httpsig plus the rules the
// library leaves to its caller), and fetches remote documents safely.
//
// Imports: forum and the internal helpers. Never web, inbox or outbox: they import this package.
package federation
