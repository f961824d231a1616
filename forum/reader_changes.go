package forum

// Reader changes: when may a page made for one member earlier still be shown to that member?
//
// A member's list or thread page is what everyone sees of it (page_changes.go) plus what is theirs:
// who they are and what their header counts (viewers, session_cache.go), and what they have read,
// watch and follow (readers, here). web's member page cache keeps such a page while none of the three has
// moved. The readers' generation and per-member counts work as the viewers' do: migration 0109's
// row triggers on member_threads and member_categories, and 0110's on follows (a remote Group's
// page shows whether the member follows it), notify readersChannel naming the member (or nobody,
// meaning everyone, when a transaction changes many members' rows), and this process's
// own writes of a member's marks and levels count at once, before the request that made them
// answers (ReadThreadPage, SetThreadLevel, SetCategoryLevel).
//
// A request's transaction (inTx) returns once this process has heard its notifications, the
// readers' ones among them (catch_up.go).

// readersChannel is the channel migration 0109's triggers notify.
const readersChannel = "stoa_readers_changed"

// ReaderStamp says what a page made for one member depended on beyond what everyone sees: their
// viewer state and their reading. Two stamps of the same member are equal only if neither moved in
// between.
type ReaderStamp struct {
	viewersGen, viewerSeq, readersGen, readerSeq uint64
}

// ReaderStamp is the member's stamp now, and whether it can be trusted: false while the change
// listener is not subscribed, when nothing made for a member may be kept.
func (f *Forum) ReaderStamp(memberID int64) (ReaderStamp, bool) {
	// Each generation before its member count: a change about everyone clears the counts after
	// moving the generation, so a stamp read across it differs from any read after it.
	s := ReaderStamp{viewersGen: f.viewers.gen.Load()}
	s.viewerSeq = f.viewers.keySeq(memberID)
	s.readersGen = f.readers.gen.Load()
	s.readerSeq = f.readers.keySeq(memberID)
	return s, f.viewers.live.Load() && f.readers.live.Load()
}
