// Package notify runs forum's notification jobs on River: the transaction that stores a post or a
// like inserts a forum.NotifyArgs job, and Worker calls forum.DeliverNotifications, which decides
// who is told, inserts their notifications and queues their mails in one transaction. The job is
// idempotent (forum's unique keys), so River's at-least-once delivery and retries never notify
// anyone twice.
//
// Imports: river and forum. cmd/stoa registers the worker.
package notify
