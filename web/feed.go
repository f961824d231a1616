package web

import (
	"encoding/xml"
	"net/http"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

// Atom feeds (RFC 4287) of a category's active threads and of a thread's latest posts. Atom rather
// than RSS: entries have stable ids and an updated time, so readers show an edited or bumped thread
// once, updated, instead of twice. Feeds are read as whoever asks (usually a guest: feed readers
// do not sign in), so they show exactly what that viewer may see.

const feedLength = 30

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomEntry struct {
	ID        string      `xml:"id"`
	Title     string      `xml:"title"`
	Updated   string      `xml:"updated"`
	Published string      `xml:"published"`
	Author    atomAuthor  `xml:"author"`
	Links     []atomLink  `xml:"link"`
	Content   atomContent `xml:"content"`
}

type atomAuthor struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomContent struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (s *Server) atomAuthor(a forum.Author) atomAuthor {
	uri := profilePath(a)
	if a.AuthorLocal() {
		uri = s.abs(uri)
	}
	return atomAuthor{Name: a.AuthorName(), URI: uri}
}

func (s *Server) writeFeed(w http.ResponseWriter, r *http.Request, feed atomFeed) {
	out, err := xml.MarshalIndent(feed, "", "  ")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	// Only the guests' feed may sit in a shared cache; a member's can hold private categories and,
	// for staff, hidden posts, and is private as their pages are.
	cc := "public, max-age=60"
	if viewerOf(r).SignedIn() {
		cc = "private, no-cache"
	}
	w.Header().Set("Cache-Control", cc)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(out)
}

// categoryFeed lists the category's most recently active threads with their opening posts.
func (s *Server) categoryFeed(w http.ResponseWriter, r *http.Request) {
	ctx, v := r.Context(), viewerOf(r)
	// A local slug or a remote category's handle (general@lemmy.example): a mirror has a feed too.
	c, err := s.forum.CategoryByHandle(ctx, s.categoryHandleParam(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	showScope(w, forum.CategoryScope(c.ID))
	entries, err := s.forum.CategoryFeed(ctx, v, c, feedLength)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := categoryPath(c.Handle())
	feed := atomFeed{ID: s.abs(page), Title: c.Title, Updated: atomTime(c.CreatedAt),
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: s.abs(page + "/feed")},
			{Rel: "alternate", Type: "text/html", Href: s.abs(page)}}}
	for i, e := range entries {
		if i == 0 {
			feed.Updated = atomTime(e.LastPostAt)
		}
		feed.Entries = append(feed.Entries, atomEntry{
			ID: s.abs(threadPath(e.ID)), Title: e.Title, Published: atomTime(e.CreatedAt), Updated: atomTime(e.LastPostAt),
			Author:  s.atomAuthor(e.Author),
			Links:   []atomLink{{Rel: "alternate", Type: "text/html", Href: s.abs(threadPath(e.ID))}},
			Content: atomContent{Type: "html", Body: e.Opener.HTML},
		})
	}
	s.writeFeed(w, r, feed)
}

// threadFeed lists a thread's latest posts, newest first.
func (s *Server) threadFeed(w http.ResponseWriter, r *http.Request) {
	id, err := idParam(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	showScope(w, forum.ThreadScope(id))
	t, posts, err := s.forum.ThreadFeed(r.Context(), viewerOf(r), id, feedLength)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	feed := atomFeed{ID: s.abs(threadPath(t.ID)), Title: t.Title, Updated: atomTime(t.LastPostAt),
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: s.abs(threadPath(t.ID) + "/feed")},
			{Rel: "alternate", Type: "text/html", Href: s.abs(threadPath(t.ID))}}}
	for _, p := range posts {
		updated := p.CreatedAt
		if p.EditedAt != nil {
			updated = *p.EditedAt
		}
		if p.Redacted {
			continue // deleted or hidden: not news, and a placeholder would take a real post's place
		}
		feed.Entries = append(feed.Entries, atomEntry{
			ID: s.abs(postPath(p.ID)), Title: "Post #" + itoa(int64(p.Position)) + " by " + p.AuthorName(),
			Published: atomTime(p.CreatedAt), Updated: atomTime(updated), Author: s.atomAuthor(p.Author),
			Links:   []atomLink{{Rel: "alternate", Type: "text/html", Href: s.abs(postPath(p.ID))}},
			Content: atomContent{Type: "html", Body: p.HTML},
		})
	}
	s.writeFeed(w, r, feed)
}
