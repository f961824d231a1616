package forum

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Seeded post bodies are made of pieces: blocks of Markdown, each rendered once by the forum's own
// renderer. Rendering a post costs 0.1-0.25 ms (goldmark, then the sanitiser, then the link pass),
// which for ten million posts would be most of the seed's time; joining pre-rendered pieces costs
// microseconds. The join is exact, not an approximation: every piece starts with a paragraph, quote
// or heading (never a list) and its HTML ends with a newline, so Markdown pieces joined by a blank
// line render to the pieces' HTML joined, and checkComposition proves it for the pool in use before
// any post is written. Each post still gets its own MAC (over its id and HTML) and its own search
// text.

// seedPieceCount is the pool size for a seed of n posts: with posts of one to four pieces, the
// number of distinct bodies is far larger than any seed. Small seeds (tests) render fewer.
func seedPieceCount(posts int64) int { return int(min(6000, max(300, posts/20))) }

type seedPiece struct {
	markdown string
	html     string
	// remoteHTML is what the sanitiser keeps of html received from another server, for the
	// replies seeded as federated (their source is the received HTML).
	remoteHTML string
}

type seedPieces struct {
	list []seedPiece
}

// newSeedPieces renders the pool. mentionable are the usernames pieces may mention.
func newSeedPieces(f *Forum, seed uint64, count int, mentionable []string) *seedPieces {
	r := rand.New(rand.NewPCG(seed, 0x5eed_71ec))
	text := seedText{r: r, mentionable: mentionable}
	s := &seedPieces{list: make([]seedPiece, count)}
	for i := range s.list {
		md := text.piece()
		html := f.markup.RenderMarkdown(md).HTML
		s.list[i] = seedPiece{markdown: md, html: html, remoteHTML: f.markup.SanitizeHTML(html)}
	}
	return s
}

// fill gives a post its body: n pieces, as Markdown for members' posts and as received HTML for
// remote ones, with the stored HTML, its MAC and the text the search index keeps.
func (s *seedPieces) fill(f *Forum, r *rand.Rand, p *seedPostRow, n int) {
	idx := make([]int, n)
	for k := range idx {
		idx[k] = r.IntN(len(s.list))
	}
	p.source, p.html = s.compose(idx, p.local)
	p.kind = "markdown"
	if !p.local {
		p.kind = "html"
	}
	p.mac = f.secrets.macHTML("post", p.id, p.html)
	p.searchBody = searchText(p.html)
}

func (s *seedPieces) compose(idx []int, local bool) (source, html string) {
	var src, out strings.Builder
	for k, i := range idx {
		pc := &s.list[i]
		if local {
			if k > 0 {
				src.WriteString("\n\n")
			}
			src.WriteString(pc.markdown)
			out.WriteString(pc.html)
		} else {
			src.WriteString(pc.html)
			out.WriteString(pc.remoteHTML)
		}
	}
	return src.String(), out.String()
}

// checkComposition renders random joins of pieces in full and compares them with the joined HTML.
// A renderer change that broke the equivalence stops the seed here, before any post is stored with
// HTML its source would not render to.
func (s *seedPieces) checkComposition(f *Forum, seed uint64, joins int) error {
	r := rand.New(rand.NewPCG(seed, 0xc0de))
	check := func(idx []int) error {
		for _, local := range []bool{true, false} {
			source, html := s.compose(idx, local)
			if got := f.renderSource(source, map[bool]string{true: "markdown", false: "html"}[local]); got != html {
				return fmt.Errorf("seed: pieces %v joined render differently (local %v):\nsource:\n%s\njoined HTML:\n%s\nrendered:\n%s",
					idx, local, source, html, got)
			}
		}
		return nil
	}
	for range joins {
		idx := make([]int, 2+r.IntN(4))
		for k := range idx {
			idx[k] = r.IntN(len(s.list))
		}
		if err := check(idx); err != nil {
			return err
		}
	}
	return nil
}
