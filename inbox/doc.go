// Package inbox receives the activities other servers POST to Stoa and applies them through
// package forum, so that a Mastodon reply, a Lemmy comment or a NodeBB topic becomes a post members
// read like any other, a remote Like counts, a Flag reaches the moderation queue, and a follow from
// elsewhere is answered.
//
// Receiving (handler*.go, ratelimit.go, record.go, recorder.go). Inbox.ServeHTTP is every inbox's handler (the
// shared /inbox and each actor's own). It does the cheap checks first and no forum work at all:
//
//  1. the inbox must exist and the request must carry a draft-cavage signature;
//  2. the signer's domain (from the keyId) must be within its rate limit: a token bucket and a
//     bound on requests in progress per domain, and a bucket per client address that pays for
//     signatures that fail (ratelimit.go says why in memory, and why charged that way);
//  3. the body is capped (1 MiB, 413 beyond) and the envelope decoded by package federation, which
//     caps JSON depth and list lengths and refuses (400) an activity it would act on that names no object;
//     unknown activity types get 202 and nothing else;
//  4. the domain policy is asked about the signer's, the actor's and every named object's host,
//     before any key could be fetched; ids on this instance are refused (never ingested);
//  5. a Delete from an actor Stoa never stored gets 202 at once, with no key fetch;
//  6. the signature is verified (federation.Verifier: headers, digest, date, key fetched from the
//     key's origin), the key's owner must be the activity's actor and the activity's id on the
//     actor's origin;
//  7. the activity is handed to the Recorder, which gathers the activities verified at about the
//     same time (up to 64, for at most a millisecond after the first) and records them together:
//     one transaction, one multi-row insert into inbound_activities (the unique id makes a replay,
//     or a second copy in the same group, a no-op) and one apply job for the group's new
//     activities, so one synchronous commit (one WAL flush) serves them all. Each handler waits
//     for that commit and answers 202 (fresh or replay) only after it; a failed commit answers
//     every handler of the group 503, keeps nothing, and the peers retry. A handler whose request
//     ends early does not stop its group. Inbox.Close commits what was handed over and stops.
//
// Applying (worker.go, batch.go, reply_group.go, apply*.go, resolve_post.go, authority.go). The
// apply jobs run on their own River queue with bounded workers, within a budget of fetches per
// activity. A group of one gets an ApplyArgs job; a larger group one ApplyBatchArgs job, whose
// worker applies each activity through the same path as the single job, skips those already
// applied (a re-run), keeps one actor's activities in arrival order and runs different actors'
// side by side, a few at a time doing their own database work. Each activity has its own
// transactions, except the replies: those the batch's appliers reach at about the same time are
// stored together by forum.CreateRemotePosts, one transaction of multi-row statements that locks
// their threads in order (Options.ReplyGroup), each reply still getting its own result. An activity whose failure may pass is handed on to an
// ApplyArgs job of its own (with the actor's later ones in the batch, so they do not overtake it),
// which River retries with backoff; the batch job fails only when the database does. There is one file per
// activity type, and each checks its own authority (SECURITY.md rule 4): only the follower undoes
// a follow, only the followed actor answers one, only the author (or a moderator of the thread's
// remote Group, authority.go) edits or deletes a post, only an actor deletes or moves itself. An
// embedded object is used as sent only when its id is on the origin that vouches for it (the
// signer's, or a relaying Group's), otherwise it is fetched from its own origin. A relayed
// activity (a followed Group's Announce) is applied as its own actor's, with the Group recorded as
// the one that relayed it. Every forum call is idempotent, so a job run twice, or an activity
// delivered both directly and through its Group, has one effect. What cannot succeed (forbidden,
// malformed, deleted, unknown) is recorded as the activity's outcome at once; what may (a fetch
// that timed out) is retried, then recorded. A Create received directly is marked applied by the
// transaction that stores its post (forum.RemotePost.Finishes), so the commonest activity is
// applied in one transaction; the others' outcomes are recorded after them (forum.FinishInbound).
//
// Imports: forum, federation, internal/httperr and River. Never outbox or web: a Follow that needs
// an Accept goes through forum, which records the Accept for the outbox (forum.Federator), and a
// post accepted into a local category is relayed the same way (forum.VerbAnnounce).
package inbox
