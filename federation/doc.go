// Package federation is Stoa's ActivityPub vocabulary and read side: it maps forum values to
// ActivityStreams documents with go-fed's streams package (kept behind this package so nothing else
// pays for its build), derives and parses Stoa's IRIs, serves WebFinger, host-meta, NodeInfo, actors
// and their collections, signs and verifies HTTP signatures (go-fed/httpsig plus the rules the
// library leaves to its caller), fetches remote documents safely and keeps remote actors cached.
//
// What the inbox and outbox build on:
//
//   - IRIs (iri.go): every local id derived from the public URL; Parse maps an IRI back to what it
//     names, IsLocal says whether an id is on this origin (never ingested: SECURITY.md rule 6).
//   - CanonicalHost, OriginOf, SameOrigin (host.go): one spelling per host (rule 9), origin checks.
//   - SigningKey.SignGet / SignPost with a BodyDigest computed once per activity (sign.go);
//     LocalKeys hands out local actors' keys (local_keys.go).
//   - Verifier.Verify (verify.go): returns the key's owner, which the inbox compares with the
//     activity's actor (rule 1). Errors wrap forum.ErrUnauthorized or forum.ErrForbidden, so
//     internal/httperr maps them to 401 and 403.
//   - Fetcher.Get (fetch*.go): signed by the instance actor, address-checked at dial time, bounded
//     in size, time and number (WithFetchBudget), id checked against the final URL.
//   - Actors (actors.go): Resolve, Fetch, ResolveKey, RefreshKey over the remote actor cache in
//     PostgreSQL; RefreshActorWorker refreshes stale actors in the background through River.
//   - DecodeActivity, DecodeObject, DecodeActor (decode*.go): the raw JSON read first, with depth
//     and list caps; unknown types come back with Supported false, never as an error.
//   - Handler (handler*.go, webfinger.go, nodeinfo.go) and Negotiate: the GET side, with authorized
//     fetch; Federation (federation.go) wires all of it from the process configuration.
//
// Why go-fed's streams but not its pub package: pub delivers inline from the request and wants a
// large Database interface; Stoa does every delivery through River jobs inserted with the data
// (retries, backoff, crash safety) and keeps its own inbox logic, so it takes only the vocabulary.
// Documents are built with streams types and serialized with Stoa's own @context (ldcontext.go
// says why); what go-fed v1.0.0 has no types for (manuallyApprovesFollowers, indexable, endpoints,
// PropertyValue, postingRestrictedToMods, sensitive) is added to the serialized map. Inbound
// documents are decoded from raw JSON with encoding/json, because streams.ToType refuses types it
// does not know and peers send many.
//
// Imports: forum, internal/httperr, go-fed (only here), chi, River (for the refresh worker) and
// golang.org/x/net/idna. Never web, inbox or outbox: they import this package.
package federation
