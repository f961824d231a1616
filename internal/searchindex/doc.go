// Package searchindex runs the background re-indexing of search documents on River: a change of
// the synonym list (forum.SetSearchSynonyms) queues a forum.SearchReindexArgs job, and Worker
// rewrites one batch of the documents the change made stale per run, each batch queuing the next
// in its own transaction until none is left.
//
// Imports: river and forum. cmd/stoa registers the worker.
package searchindex
