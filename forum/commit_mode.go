package forum

import "context"

// Deferred durability for work that is redone until it is recorded as done. A River job's
// transactions may commit without waiting for the WAL flush when the job is idempotent: River
// marks the job completed afterwards, in a transaction that does wait for the flush, and
// PostgreSQL flushes its WAL in order, so that flush makes every earlier commit of the job
// durable too. A crash before it loses at most the job's own recent commits and leaves the job
// to run again, which redoes them. Synchronous commit is most of what a small write costs (the
// inbox's apply jobs spent most of their time waiting for it, PERFORMANCE.md), and this lets
// PostgreSQL flush many jobs' commits together.
//
// Never for what a caller is promised on return: the inbox's recording of an activity answers
// 202 to its sender, and stays synchronous.

type deferredCommitKey struct{}

// WithDeferredCommit marks the transactions run with ctx as safe to commit without waiting for
// the WAL flush, for an idempotent job whose completion is committed after them (see above).
func WithDeferredCommit(ctx context.Context) context.Context {
	return context.WithValue(ctx, deferredCommitKey{}, true)
}

// deferredCommit reports whether ctx's transactions may defer their durability.
func deferredCommit(ctx context.Context) bool {
	on, _ := ctx.Value(deferredCommitKey{}).(bool)
	return on
}

// Background work: transactions no request waits for (River jobs). A request's transaction returns
// only once this process has heard its own notifications, so that the request that wrote sees what
// it wrote (catch_up.go); a job has no such request and does not wait. The triggers' notifications
// name what a background transaction changed, and drop only that, a moment after its commit. A
// deferred commit is background work too.

type backgroundKey struct{}

// InBackground marks the transactions run with ctx as work no request waits for.
func InBackground(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

// IsBackground reports whether ctx's transactions are background work (InBackground or
// WithDeferredCommit).
func IsBackground(ctx context.Context) bool {
	on, _ := ctx.Value(backgroundKey{}).(bool)
	return on || deferredCommit(ctx)
}

// Lazy commits, for single statements whose loss in a crash nobody would notice: a member's read
// marks (ReadThreadPage) and a session's touch (ResumeSession). Both run on page views, and with
// synchronous commit each view that writes would wait for its WAL flush, a disk's worst moments
// included, for a write nobody needs to survive a crash: losing the last fraction of a second of
// them shows a few posts unread again, or ends a session a few minutes earlier.
//
// The statement sets synchronous_commit for its own transaction: run outside a transaction block,
// a statement is its transaction, and PostgreSQL reads the setting when it commits it, before it
// resets local settings. Add lazyCommitCTE last to the statement's WITH list (so that logs and
// reports still show what the statement does) and read from lazy_commit in its final SELECT, so
// that the CTE is evaluated (PostgreSQL skips a SELECT CTE nobody reads). Never inside a
// caller's transaction: the setting would last to that transaction's end.
const lazyCommitCTE = `lazy_commit AS (SELECT set_config('synchronous_commit', 'off', true) AS setting)`
