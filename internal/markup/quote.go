package markup

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/yuin/goldmark/ast"
)

// maxQuotes bounds the posts one post is reported to quote: each quoted author is notified, and a
// post pasting a hundred links must not notify a hundred people.
const maxQuotes = 10

// collectQuotes lists the posts of this forum that doc quotes: a blockquote that links to a post
// (/p/N, or the same path under the base URL), as the composer's quote writes it ("> [@alice
// wrote](/p/12):") and as a quote written by hand would. Each post is reported once, in order of
// first appearance. A quote within a quote (the quoted post's own quote, which the composer copies
// with its text) is not: its author was quoted by the post quoted, not by this one.
func (m *Markup) collectQuotes(doc ast.Node) []int64 {
	var out []int64
	seen := map[int64]bool{}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering || len(out) >= maxQuotes {
			return ast.WalkContinue, nil
		}
		link, ok := n.(*ast.Link)
		if !ok || blockquoteDepth(n) != 1 {
			return ast.WalkContinue, nil
		}
		if id, ok := m.localPostID(string(link.Destination)); ok && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
		return ast.WalkSkipChildren, nil
	})
	return out
}

// blockquoteDepth is how many blockquotes hold n: 0 outside any, 1 in a quote, 2 in a quote's quote.
func blockquoteDepth(n ast.Node) int {
	depth := 0
	for p := n.Parent(); p != nil; p = p.Parent() {
		if p.Kind() == ast.KindBlockquote {
			depth++
		}
	}
	return depth
}

// localPostID reads a post's id from a link to its permalink here.
func (m *Markup) localPostID(dest string) (int64, bool) {
	u, err := url.Parse(dest)
	if err != nil {
		return 0, false
	}
	if u.Scheme != "" || u.Host != "" {
		if m.base == nil || !strings.EqualFold(u.Scheme, m.base.Scheme) || !strings.EqualFold(u.Host, m.base.Host) {
			return 0, false
		}
	}
	rest, ok := strings.CutPrefix(u.Path, "/p/")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0
}
