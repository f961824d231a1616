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
// A kept session is exact in the way shared reads are (page_changes.go), with a generation of its
// own: migration 0107's triggers notify viewersChannel whenever a session is deleted (logout,
// revocation, a password change), a member's role or ban or an actor's suspension, deletion or
// name changes, and whenever notifications or reports change (the header's counts). This
// process's own transactions, and its own revocations, move the generation as they commit. So a
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
	if !ok || !time.Now().Before(k.until) {
		return Session{}, Viewer{}, false
	}
	return k.sess, k.v, true
}

// keepSession keeps a session just read at generation gen (when the read began), unless the
// generation moved meanwhile. touched says the read touched it, so it is fresh from now.
func (f *Forum) keepSession(hash []byte, gen uint64, sess Session, v Viewer, touched bool) {
	if !f.viewers.live.Load() || f.viewers.gen.Load() != gen {
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
	f.sessions.Put([32]byte(hash), gen, keptSession{sess: sess, v: v, until: until}, 1)
}
