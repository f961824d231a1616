package markup

import (
	"bytes"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// externalRel is what every link to another site carries (SECURITY.md rule 19): no search-engine
// credit for posted links (nofollow, ugc), no window.opener (noopener), no Referer (noreferrer).
const externalRel = "nofollow noopener noreferrer ugc"

// finishLinks is the last pass over sanitised HTML: it resolves relative URLs against base (the
// HTML is federated; relative links would point at the reader's server), sets rel on links, and
// drops images that are not http(s). It parses the fragment into a tree and renders it again with
// x/net/html, which balances the tags (an unclosed <blockquote> or <table> in one post must not
// swallow the rest of the page) and escapes every attribute and text node again, so nothing the
// sanitiser let through can become markup here.
func finishLinks(sanitized []byte, base *url.URL, allowRelative bool) string {
	if len(bytes.TrimSpace(sanitized)) == 0 {
		return ""
	}
	container := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(bytes.NewReader(sanitized), container)
	if err != nil {
		// The parser only fails on a failing reader; never hand out HTML that was not re-checked.
		return "<p>" + html.EscapeString(string(sanitized)) + "</p>"
	}
	var out strings.Builder
	out.Grow(len(sanitized) + len(sanitized)/8)
	for _, n := range nodes {
		fixTree(n, base, allowRelative)
		_ = html.Render(&out, n)
	}
	return out.String()
}

// fixTree applies fixLink and fixImage to n and its descendants, removing refused images.
func fixTree(n *html.Node, base *url.URL, allowRelative bool) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		if c.Type == html.CommentNode {
			n.RemoveChild(c)
		} else {
			fixTree(c, base, allowRelative)
		}
		c = next
	}
	if n.Type != html.ElementNode {
		return
	}
	switch n.DataAtom {
	case atom.A:
		n.Attr = fixLink(n.Attr, base, allowRelative)
	case atom.Img:
		attrs, ok := fixImage(n.Attr, base)
		if !ok && n.Parent != nil {
			n.Parent.RemoveChild(n)
			return
		}
		n.Attr = attrs
	}
}

// resolve makes ref absolute against base, refusing anything but http(s) and mailto (the
// sanitiser already did; this is the second lock on the same door).
func resolve(ref string, base *url.URL, allowRelative bool) (*url.URL, bool) {
	u, err := url.Parse(strings.TrimSpace(ref))
	if err != nil {
		return nil, false
	}
	if !u.IsAbs() {
		if !allowRelative {
			return nil, false
		}
		if base != nil {
			u = base.ResolveReference(u)
		}
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "mailto", "":
		return u, true
	}
	return nil, false
}

func (link linkInfo) external(base *url.URL) bool {
	if link.u.Scheme == "mailto" {
		return true
	}
	if link.u.Host == "" {
		return false // relative, kept relative because there is no base
	}
	return base == nil || !strings.EqualFold(link.u.Host, base.Host)
}

type linkInfo struct{ u *url.URL }

func fixLink(attrs []html.Attribute, base *url.URL, allowRelative bool) []html.Attribute {
	kept := attrs[:0]
	var link *linkInfo
	hashtag := false
	for _, a := range attrs {
		switch a.Key {
		case "rel":
			continue // set below, from what the link is
		case "href":
			u, ok := resolve(a.Val, base, allowRelative)
			if !ok {
				continue
			}
			a.Val = u.String()
			link = &linkInfo{u: u}
		case "class":
			hashtag = strings.Contains(" "+a.Val+" ", " hashtag ")
		}
		kept = append(kept, a)
	}
	switch {
	case link == nil:
	case link.external(base):
		kept = append(kept, html.Attribute{Key: "rel", Val: externalRel})
	case hashtag:
		kept = append(kept, html.Attribute{Key: "rel", Val: "tag"})
	}
	return kept
}

// fixImage keeps an image only when its source is http(s) after resolution.
func fixImage(attrs []html.Attribute, base *url.URL) ([]html.Attribute, bool) {
	ok := false
	for i, a := range attrs {
		if a.Key != "src" {
			continue
		}
		u, good := resolve(a.Val, base, base != nil)
		if !good || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, false
		}
		attrs[i].Val = u.String()
		ok = true
	}
	return attrs, ok
}
