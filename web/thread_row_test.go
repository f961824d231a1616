package web

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

// The hand-written thread row writes exactly what the templ component it replaced wrote, for rows
// of every kind: badges, unread counts, remote and local authors with and without avatars, text
// that needs escaping, categories local and remote, with and without a last poster.
func TestHandWrittenThreadRowMatchesTheTemplComponent(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("x", 3600))
	now := time.Now()
	base := forum.ThreadSummary{
		Thread:       forum.Thread{ID: 42, Title: `Tom & Jerry's "<b>best</b>" > rest`, PostCount: 7, LastPostAt: at},
		Author:       forum.Author{AuthorUsername: "alice", AuthorDisplayName: "Alice <A>"},
		CategorySlug: "general", CategoryTitle: "Gen & eral", LastPosterName: "Bob 'B'", LastPosterUsername: "bob",
	}
	variants := map[string]func(s *forum.ThreadSummary){
		"plain":          func(*forum.ThreadSummary) {},
		"one post":       func(s *forum.ThreadSummary) { s.PostCount = 1 },
		"no last poster": func(s *forum.ThreadSummary) { s.LastPosterName = "" },
		"every badge":    func(s *forum.ThreadSummary) { s.PinnedAt, s.LockedAt, s.HiddenAt, s.DeletedAt = &now, &now, &now, &now },
		"pinned":         func(s *forum.ThreadSummary) { s.PinnedAt = &now },
		"unread":         func(s *forum.ThreadSummary) { s.Unread = 12 },
		"local avatar":   func(s *forum.ThreadSummary) { s.AuthorAvatarURL = "/avatars/1.webp?v=3&x=<y>" },
		"bad avatar":     func(s *forum.ThreadSummary) { s.AuthorAvatarURL = "javascript:alert(1)" },
		"remote author": func(s *forum.ThreadSummary) {
			s.AuthorDomain, s.AuthorAvatarURL = "lemmy.example", "https://lemmy.example/a.png"
		},
		"no display name":  func(s *forum.ThreadSummary) { s.AuthorDisplayName = "" },
		"remote category":  func(s *forum.ThreadSummary) { s.CategoryDomain = "lemmy.example" },
		"odd author name":  func(s *forum.ThreadSummary) { s.AuthorUsername = "a b/c" },
		"unicode and more": func(s *forum.ThreadSummary) { s.Title = "Ünïcødé — ‘quotes’ & <tags>"; s.Unread = 1 },
	}
	for name, change := range variants {
		for _, showCategory := range []bool{false, true} {
			s := base
			change(&s)
			var want, got bytes.Buffer
			if err := threadRowTempl(s, showCategory).Render(context.Background(), &want); err != nil {
				t.Fatal(err)
			}
			if err := threadRow(s, showCategory).Render(context.Background(), &got); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("%s (showCategory %v):\nwant %s\ngot  %s", name, showCategory, want.String(), got.String())
			}
		}
	}
}
