package web

import (
	"context"
	"net/url"
	"strconv"

	"github.com/stoa-forum/stoa/forum"
)

// Federation is what pages and the API need from package federation, which web must not import:
// the ActivityPub ids of local things and the followable handle of a thread. cmd/stoa plugs in
// federation's implementation through Options.Federation. Ids of remote things are stored in the
// database and do not come through here.
//
// Note for whoever implements it: every method is called while rendering, once per item shown, so
// it must answer from memory (the ids derive from the public URL and the argument) without I/O.
type Federation interface {
	// CategoryAPID is the id of a local category's Group actor.
	CategoryAPID(slug string) string
	// MemberAPID is the id of a local member's Person actor.
	MemberAPID(username string) string
	// ThreadAPID is the id of a local thread: its context collection.
	ThreadAPID(threadID int64) string
	// PostAPID is the id of a local post's object (Article or Note).
	PostAPID(postID int64) string
	// ThreadFollow is the thread's followable actor: its handle (user@host) and id.
	ThreadFollow(threadID int64) (handle, apID string)
}

// host is the public host, the right-hand side of every local handle.
func (s *Server) host() string {
	if s.public == nil {
		return "localhost"
	}
	return s.public.Host
}

// abs makes a local path absolute against the public URL, for feeds, the API and federation.
func (s *Server) abs(path string) string {
	if s.public == nil {
		return path
	}
	u := *s.public
	ref, err := url.Parse(path)
	if err != nil {
		return path
	}
	return u.ResolveReference(ref).String()
}

func (s *Server) categoryAPID(ctx context.Context, c forum.Category) string {
	if !c.Local() || s.fed == nil {
		return ""
	}
	if published, err := s.forum.Published(ctx, c.ID); err != nil || !published {
		return "" // not published: no Group another server could know it by
	}
	return s.fed.CategoryAPID(c.Slug)
}

// fullHandle is name@host for local names and the stored handle for remote ones.
func (s *Server) fullHandle(name, domain string) string {
	if domain != "" {
		return name + "@" + domain
	}
	return name + "@" + s.host()
}

func (s *Server) authorAPID(a forum.Author) string {
	if !a.AuthorLocal() {
		return a.AuthorAPID
	}
	if s.fed == nil {
		return ""
	}
	return s.fed.MemberAPID(a.AuthorUsername)
}

func (s *Server) threadAPID(t forum.Thread) string {
	if t.APID != "" {
		return t.APID
	}
	if s.fed == nil {
		return ""
	}
	return s.fed.ThreadAPID(t.ID)
}

func (s *Server) postAPID(p forum.Post) string {
	if p.APID != "" {
		return p.APID
	}
	if s.fed == nil {
		return ""
	}
	return s.fed.PostAPID(p.ID)
}

// threadFollow is the handle and id to follow a thread from elsewhere, if federation is on and
// the thread is local.
func (s *Server) threadFollow(ctx context.Context, t forum.Thread) (handle, apID string, ok bool) {
	if s.fed == nil || t.APID != "" {
		return "", "", false
	}
	// A thread of a category guests may not see has no actor to follow (forum.Published): its
	// handle would lead other servers to a 404.
	if published, err := s.forum.Published(ctx, t.CategoryID); err != nil || !published {
		return "", "", false
	}
	handle, apID = s.fed.ThreadFollow(t.ID)
	return handle, apID, handle != ""
}

// profilePath is where an author's name links: their page here, or their profile on their server.
func profilePath(a forum.Author) string {
	if a.AuthorLocal() {
		return "/u/" + url.PathEscape(a.AuthorUsername)
	}
	if a.AuthorURL != "" {
		return a.AuthorURL
	}
	return a.AuthorAPID
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
