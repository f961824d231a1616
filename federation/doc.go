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
//   - Actors.ResolveHandle and Fetcher.WebFinger (webfinger_client.go): user@host to an actor, for
//     mentions; Fetcher.NodeInfoSoftware and ProbeDomainWorker (nodeinfo_client.go) learn what a
//     domain runs, so the outbox knows forum peers from microblogs.
//   - Documents (documents.go, object_document.go, activity_document.go, activity_envelope.go):
//     a post's Article or Note, the document of every forum.Verb (Create, Update with updated,
//     Delete of a Tombstone, Like, Undo, Follow, Accept/Reject embedding the Follow, Announce,
//     Block, Flag, Move, Lock, Add/Remove), and the derived Announces a category or thread actor
//     signs (ids under the activity's: /activities/{id}/announce). Nothing private is built.
//   - FollowersDigest and IRIs.CollectionSynchronization (followers_sync.go): FEP-8fcf.
//   - Handler (handler*.go, webfinger.go, nodeinfo.go) and Negotiate: the GET side, with authorized
//     fetch: actors and their collections (outbox included), posts (410 Tombstone once deleted),
//     replies, threads as context collections with their history, recorded activities;
//     Federation (federation.go) wires all of it from the process configuration.
//
// Why go-fed's streams but not its pub package: pub delivers inline from the request and wants a
// large Database interface; Stoa does every delivery through River jobs inserted with the data
// (retries, backoff, crash safety) and keeps its own inbox logic, so it takes only the vocabulary.
// Documents are built with streams types and serialized with Stoa's own @context (ldcontext.go
// says why); what go-fed v1.0.0 has no types for (manuallyApprovesFollowers, indexable, endpoints,
// PropertyValue, postingRestrictedToMods, sensitive, Hashtag, commentsEnabled, Lemmy's Lock) is
// added to the serialized map, and a relayed activity is spliced in byte for byte. Inbound
// documents are decoded from raw JSON with encoding/json, because streams.ToType refuses types it
// does not know and peers send many.
//
// Imports: forum, internal/httperr, go-fed (only here), chi, River (for the refresh worker) and
// golang.org/x/net/idna. Never web, inbox or outbox: they import this package.
package federation
