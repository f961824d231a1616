package markup

import (
	"regexp"

	"github.com/microcosm-cc/bluemonday"
)

// classes are the only class names kept: they carry meaning for mentions and hashtags
// (microformats, as Mastodon writes them), Mastodon's shortened links (invisible/ellipsis, hidden
// or truncated by style.css), and fenced code's language. Anything else could borrow the page's
// own styles to impersonate its interface.
var (
	classList    = regexp.MustCompile(`^(?:(?:h-card|u-url|mention|hashtag|invisible|ellipsis)(?:\s+|$))+$`)
	codeLanguage = regexp.MustCompile(`^language-[A-Za-z0-9_+#.\-]{1,30}$`)
	tableAlign   = regexp.MustCompile(`^(?:left|right|center)$`)
	olStart      = regexp.MustCompile(`^[0-9]{1,9}$`)
)

// policy is the allow-list for stored HTML. allowRelative is true for rendered Markdown (links to
// this forum's own pages; made absolute afterwards) and false for other servers' HTML, where a
// relative URL would point at the wrong host.
func policy(allowRelative bool) *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.RequireParseableURLs(true)
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(allowRelative)

	p.AllowElements("p", "br", "strong", "b", "em", "i", "del", "s", "strike", "u", "sub", "sup",
		"blockquote", "pre", "code", "ul", "ol", "li", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
		"table", "thead", "tbody", "tr", "th", "td", "span", "a", "img")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("title").OnElements("a", "img", "abbr")
	p.AllowAttrs("src", "alt").OnElements("img")
	p.AllowAttrs("class").Matching(classList).OnElements("a", "span")
	p.AllowAttrs("class").Matching(codeLanguage).OnElements("code")
	p.AllowAttrs("align").Matching(tableAlign).OnElements("th", "td")
	p.AllowAttrs("start").Matching(olStart).OnElements("ol")
	// rel is not kept from the input: links.go sets it on every external link.
	return p
}
