// Package giveway lets background work give way to the requests a server is answering.
//
// Stoa applies received activities in River jobs on the same CPUs as its pages and inboxes. On a
// small server that work, which nobody waits for, took the CPUs from the requests people and
// peers wait for: a page's p99 grew several times over and fewer activities were accepted a
// second while a burst was being applied. A Gate counts the requests in flight (Track, around the
// router); a worker calls Yield before each unit of work, which returns at once when no request is
// in flight and otherwise waits until none is, or for a bounded time, so background work always
// moves on (at worst one unit per wait) even under a stream of requests.
package giveway
