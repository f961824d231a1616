// Package inbox receives activities POSTed by other servers: it caps and verifies each request,
// records the activity id and queues an apply job in one transaction, and answers 202; River workers
// then apply the activity through package forum.
//
// Imports: forum, federation and the internal helpers. Never outbox or web: an inbound Follow that
// needs an outbound Accept goes through forum, whose Federator hook the outbox implements.
package inbox
