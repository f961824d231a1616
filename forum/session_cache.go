package forum

import (
	"time"

	"github.com/stoa-forum/stoa/internal/gencache"
)

// Resumed sessions, kept in memory: every signed-in request resumes its session, and most of them
// find it as the previous request left it. The session query (a join of sessions, members and
// actors, and the header's counts) is then one round trip and a statement for PostgreSQL that
// change nothing.
//
// A kept session is exact in the way shared reads are (page_changes.go), with generations of its
// own (keyedChanges): migrations 0107 and 0108's triggers notify viewersChannel, naming the
// member, whenever one of their sessions is deleted (logout, revocation, a password change), their
// role or ban, their actor's suspension, deletion or name, or their notifications change (the
// header's count); and naming nobody, which drops every kept session, when reports change (the
// staff's count). This process's own revocations and reads of notifications drop the member's at
// once, and its own transactions return once their notifications are heard (catch_up.go). So a
// session revoked here is refused at once, and one revoked by another process as soon as its
// notification arrives: a few milliseconds after the commit. While the listener is not
// subscribed, nothing is kept.
//
// A kept session is also served only until it is due for its touch (touchInterval) or expires;
// then the query runs again, and touches it.
type sessionCache = gencache.Cache[[32]byte, keptSession]

type keptSession struct {
	sess Session
	v    Viewer
	// until is when the session must be read again: its expiry, or when it is due to be touched.
	until time.Time
	// seq is keyedChanges.seq when the session was read: a change of its member's since then
	// makes it stale.
	seq uint64
}

// viewersChannel is the channel migration 0107's triggers notify.
const viewersChannel = "stoa_viewers_changed"

// maxKeptSessions bounds the sessions kept; each is a few hundred bytes.
const maxKeptSessions = 1 << 16

func newSessionCache() *sessionCache {
	return gencache.New[[32]byte, keptSession](maxKeptSessions, maxKeptSessions)
}

// resumeKeptSession returns the session kept for a token's hash, if one may be served now.
func (f *Forum) resumeKeptSession(hash []byte) (Session, Viewer, bool) {
	if !f.viewers.live.Load() {
		return Session{}, Viewer{}, false
	}
	k, ok := f.sessions.Get([32]byte(hash), f.viewers.gen.Load())
	if !ok || !time.Now().Before(k.until) || f.viewers.changedSince(k.sess.MemberID, k.seq) {
		return Session{}, Viewer{}, false
	}
	return k.sess, k.v, true
}

// viewerReadStart is what keepSession needs of the moment a session's read began.
type viewerReadStart struct{ gen, seq uint64 }

func (f *Forum) viewerReadStart() viewerReadStart {
	// seq first: a member change between the two loads is then seen by one or the other.
	seq := f.viewers.seq.Load()
	return viewerReadStart{gen: f.viewers.gen.Load(), seq: seq}
}

// keepSession keeps a session whose read began at start, unless anything about its member changed
// meanwhile. touched says the read touched it, so it is fresh from now.
func (f *Forum) keepSession(hash []byte, start viewerReadStart, sess Session, v Viewer, touched bool) {
	if !f.viewers.live.Load() || f.viewers.gen.Load() != start.gen || f.viewers.changedSince(sess.MemberID, start.seq) {
		return
	}
	lastUsed := sess.LastUsedAt
	if touched {
		lastUsed = time.Now()
	}
	until := lastUsed.Add(touchInterval)
	if sess.ExpiresAt.Before(until) {
		until = sess.ExpiresAt
	}
	f.sessions.Put([32]byte(hash), start.gen, keptSession{sess: sess, v: v, until: until, seq: start.seq}, 1)
}
