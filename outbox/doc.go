// Package outbox publishes what local actors do: every activity package forum records (a new
// thread, a reply, an edit, a like, an Accept, a report, ...) is turned into signed deliveries to
// the distinct inboxes that must receive it, through River jobs in the same database, so an
// activity goes out if and only if the change that caused it commits, and is never lost.
//
// How an activity travels:
//
//  1. forum records it and calls the Federator (Outbox.ActivityRecorded, or Federator in processes
//     that run no workers): a FanOutArgs job is inserted in the recording transaction.
//  2. The fan-out worker (fanout.go) builds the activity's documents once through package
//     federation and stores them (activities.payload, activity_documents: the first bytes win, so
//     a re-run after a crash sends the same bytes and ids), decides the recipients (plan.go has
//     the rules, FEDERATION.md "Distribution" explains them), keeps one delivery per inbox (shared
//     inboxes preferred), leaves out blocked and unavailable domains and what an earlier run
//     queued, and inserts the delivery jobs with InsertManyTx together with the bookkeeping rows,
//     in chunks, the last with its own completion (river.JobCompleteTx). A small fan-out queues one
//     DeliverArgs job per (activity, document, inbox); one of 64 deliveries or more queues batch
//     jobs (DeliverBatchArgs, batch.go) of up to 32, whose deliveries are their rows: River's
//     writes per job (insert, fetch, completion, each rewriting the row and its indexes) would
//     otherwise cost about as much CPU as the signature on a small server.
//  3. The delivery worker (deliver.go) asks the domain policy again, checks a post's Create or
//     Update was not deleted since, waits for a slot on the host (hostgate.go: a bound per host and
//     a circuit breaker, so a black-holed host holds few workers), signs at send time with the
//     document's actor's key (digest computed once per document, keys parsed once: cache.go) and
//     POSTs it. The answer decides: 2xx done; 410 drops the recipient's follows; other 4xx give up
//     (401 and 408 excepted); 429 and 503 snooze until Retry-After; 5xx and network errors retry
//     on Mastodon's schedule (16 retries over about three days), then give up. A batch makes its
//     deliveries' first attempts the same way, each inbox's documents in order and the inboxes
//     side by side, and hands what must be tried again to DeliverArgs jobs of their own (the
//     attempts made count), in the transaction that completes it.
//  4. Outcomes are written in batches (recorder.go, a group commit): the deliveries rows the admin
//     pages read, and each domain's health (forum/domain_health.go).
//
// CancelDomain cancels a domain's waiting deliveries when it is blocked (a batch is never cancelled
// for one delivery's sake: its row is marked, and the batch skips it); RetryDomain makes them
// available at once (the admin's "retry now"). Metrics: stoa_federation_deliveries_total by
// result, stoa_federation_delivery_duration_seconds, stoa_federation_fanout_skipped_total and
// stoa_jobs (unfinished jobs by queue and state).
//
// At-least-once: a process killed mid-delivery leaves jobs running in River's table. Another
// process, or the same one restarted, runs them again once it sees the killed process's presence
// lock gone, within about half a minute (forum/orphaned_jobs.go); River's rescuer, after
// RescueStuckJobsAfter (cmd/stoa keeps every job's timeout below it), is the fallback. A receiver
// may see an activity twice, always with the same id, which it deduplicates.
//
// Imports: forum, federation (documents, keys, signing, the transport) and River. Never inbox or
// web, and never go-fed itself: federation wraps it.
package outbox
