package forum

import "sync/atomic"

// Page changes: when may a copy of a page made earlier still be shown?
//
// A cache of what guests see (web's guest page cache) keeps a page only while nothing it could
// show has changed, anywhere. This is its signal: a generation that moves on every such change,
// and whether the signal can be trusted at all.
//
//   - Every committed write to what pages show notifies pagesChannel (migration 0106's statement
//     triggers on threads, posts, actors, categories and category counters) or a channel of its
//     own, which counts too (permissions, domain rules, site settings). ListenForChanges
//     hears it from every process, this one included, a moment after the commit.
//   - This process's own transactions (inTx) also move the generation as soon as they commit, so
//     that a page asked for right after a change made here is never an older copy.
//   - The signal is live only while the listener is subscribed. A lost connection could have
//     missed notifications, so losing it and subscribing again both move the generation.
//
// A copy may be kept if the generation did not move between the moment its making started
// (before its first query) and the moment it is stored; it may be shown while the generation is
// still the one it was made in. A write that commits after the copy's queries took their
// snapshot moves the generation after it commits, so either the copy is refused or it is
// dropped when the notification arrives: at worst a page is shown for the moment it takes a
// notification to arrive after another process's commit.
type pageChanges struct {
	gen  atomic.Uint64
	live atomic.Bool
}

// pagesChannel is the channel migration 0106's triggers notify.
const pagesChannel = "stoa_pages_changed"

func (p *pageChanges) changed() { p.gen.Add(1) }

// subscribed and lost are the listener's: both move the generation (see above).
func (p *pageChanges) subscribed() { p.gen.Add(1); p.live.Store(true) }
func (p *pageChanges) lost()       { p.live.Store(false); p.gen.Add(1) }

// PageGeneration is the generation of what pages show, and whether it can be trusted: false
// while no listener is subscribed (ListenForChanges not running, or reconnecting), when nothing
// may be cached.
func (f *Forum) PageGeneration() (gen uint64, live bool) {
	live = f.pages.live.Load()
	return f.pages.gen.Load(), live
}
