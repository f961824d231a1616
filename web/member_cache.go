package web

import (
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/gencache"
)

// Members' pages, kept (page_cache.go says why and on which rule). A member's copy of a list or a
// thread page also shows what is theirs: their name and header counts, their unread counts and
// markers, their likes and watch levels. forum.ReaderStamp moves whenever any of that changes, in
// any process (forum/reader_changes.go). A copy carries the stamp read before it was made, and is
// served only while the member's stamp is still that one.
//
// Reading a thread page moves the reader's stamp when it records new posts as read: the first view
// of a page is not kept, the second (which records nothing) is, and from the third on the page
// comes from memory, with nothing to record and nothing that could differ.
//
// Only pages of a session resumed from its cookie are kept: a bearer token's viewer is checked on
// every request, and its revocation is not among what the stamp follows. A copy is also served
// for at most memberPageMaxAge, because one thing a member's page shows moves with the clock and
// not with any write: a post ages out of the unread window (forum.UnreadWindowDays). Each copy's
// age limit is drawn between four fifths of it and all of it: copies made together (a change to
// everything remakes every member's pages within moments) would otherwise all expire in the same
// second, and be made again together.
type memberPageKey struct {
	member int64
	uri    string
}

// memberStamp is what a member's copy depended on besides the generation, and when it is too old.
type memberStamp struct {
	reader  forum.ReaderStamp
	expires time.Time
}

const memberPageMaxAge = 30 * time.Second

type memberSlot struct {
	s     *Server
	cache *gencache.Cache[memberPageKey, *cachedPage]
	key   memberPageKey
	stamp forum.ReaderStamp
	start time.Time // when the page's making began: its age counts from then
}

// memberSlot is where a member's answer to r may be kept.
func (s *Server) memberSlot(r *http.Request) (pageSlot, bool) {
	if _, ok := sessionOf(r); !ok || !s.pages.members.Enabled() {
		return nil, false
	}
	id := viewerOf(r).ActorID
	stamp, live := s.forum.ReaderStamp(id)
	if !live {
		return nil, false
	}
	return memberSlot{s: s, cache: s.pages.members, key: memberPageKey{member: id, uri: r.URL.RequestURI()}, stamp: stamp, start: s.now()}, true
}

func (m memberSlot) get(gen uint64) (*cachedPage, bool) {
	p, ok := m.cache.Get(m.key, gen)
	if !ok || p.member.reader != m.stamp || !m.s.now().Before(p.member.expires) {
		return nil, false
	}
	return p, true
}

func (m memberSlot) put(gen uint64, p *cachedPage) {
	maxAge := memberPageMaxAge - rand.N(memberPageMaxAge/5)
	p.member = memberStamp{reader: m.stamp, expires: m.start.Add(maxAge)}
	m.cache.Put(m.key, gen, p, len(p.body)+len(m.key.uri))
}

// fresh reports whether the member's reader stamp is still the one read when the slot was opened.
func (m memberSlot) fresh() bool {
	now, live := m.s.forum.ReaderStamp(m.key.member)
	return live && now == m.stamp
}
