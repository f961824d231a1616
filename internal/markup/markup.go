package markup

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/stoa-forum/stoa/forum"
)

// Options configure a Markup.
type Options struct {
	// BaseURL is the forum's public URL (scheme://host[:port]). Relative links in Markdown and
	// local mentions are made absolute against it, and links to other hosts count as external.
	// Nil keeps links relative (tests, tools without a configuration).
	BaseURL *url.URL
	// TagURL, when set, turns #hashtags into links to the page it names; without it hashtags are
	// marked up (class "hashtag") but not linked, because a link to a page that does not exist
	// helps nobody.
	TagURL func(tag string) string
	// LocalMember, when set, says whether a name is a member here: an @name that is none stays
	// plain text, neither linked (to a profile page that would be a 404) nor reported as a
	// mention. Without it every local @name is a mention.
	LocalMember func(username string) bool
}

// Markup renders Markdown and sanitises HTML. It is safe for concurrent use.
type Markup struct {
	base     *url.URL
	md       goldmark.Markdown
	local    *bluemonday.Policy // Markdown output: relative URLs allowed (resolved afterwards)
	remote   *bluemonday.Policy // other servers' HTML: relative URLs mean nothing here, dropped
	tagURL   func(string) string
	member   func(string) bool
	maxBytes int
}

// MaxSourceBytes bounds what RenderMarkdown parses; forum validates lengths long before this, the
// bound only keeps a caller's mistake from costing unbounded time.
const MaxSourceBytes = 256 << 10

var _ forum.Markup = (*Markup)(nil)

// New returns a Markup.
func New(opts Options) *Markup {
	m := &Markup{base: opts.BaseURL, tagURL: opts.TagURL, member: opts.LocalMember, maxBytes: MaxSourceBytes}
	m.md = goldmark.New(
		goldmark.WithExtensions(extension.Table, extension.Strikethrough,
			extension.NewLinkify(extension.WithLinkifyAllowedProtocols([]string{"http:", "https:"}))),
		goldmark.WithParserOptions(parser.WithInlineParsers(
			util.Prioritized(mentionParser{m: m}, 500),
			util.Prioritized(hashtagParser{}, 500),
		)),
		// html.WithUnsafe is deliberately absent: raw HTML in Markdown is shown as text (raw.go),
		// never passed on as markup.
		goldmark.WithRendererOptions(
			html.WithHardWraps(),
			renderer.WithNodeRenderers(util.Prioritized(&tagRenderer{m: m}, 500), util.Prioritized(rawRenderer{}, 500)),
		),
	)
	m.local = policy(true)
	m.remote = policy(false)
	return m
}

// RenderMarkdown implements forum.Markup.
func (m *Markup) RenderMarkdown(source string) forum.Rendered {
	if len(source) > m.maxBytes {
		source = source[:m.maxBytes]
	}
	src := []byte(source)
	doc := m.md.Parser().Parse(text.NewReader(src))
	m.markUnknownMembers(doc)
	mentions, tags := collectTags(doc)
	quotes := m.collectQuotes(doc)
	var buf bytes.Buffer
	if err := m.md.Renderer().Render(&buf, src, doc); err != nil {
		// goldmark only fails on a failing writer; a bytes.Buffer does not fail. Fall back to
		// escaped text rather than lose the post.
		buf.Reset()
		buf.WriteString("<p>" + htmlEscape(source) + "</p>")
	}
	clean := m.local.SanitizeBytes(buf.Bytes())
	return forum.Rendered{HTML: finishLinks(clean, m.base, true), Mentions: mentions, Hashtags: tags, Quotes: quotes}
}

// SanitizeHTML implements forum.Markup for HTML received from other servers.
func (m *Markup) SanitizeHTML(s string) string {
	clean := m.remote.SanitizeBytes([]byte(s))
	return finishLinks(clean, m.base, false)
}

// markUnknownMembers marks the local mentions of names that are no member here (Options.LocalMember),
// asking once per name.
func (m *Markup) markUnknownMembers(doc ast.Node) {
	if m.member == nil {
		return
	}
	known := map[string]bool{}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		mn, ok := n.(*mentionNode)
		if !entering || !ok || mn.Domain != "" {
			return ast.WalkContinue, nil
		}
		key := strings.ToLower(mn.Username)
		is, asked := known[key]
		if !asked {
			is = m.member(mn.Username)
			known[key] = is
		}
		mn.Unknown = !is
		return ast.WalkContinue, nil
	})
}

// collectTags lists the mentions and hashtags that render as such: not those inside a link's text.
// Each is reported once, in order of first appearance.
func collectTags(doc ast.Node) ([]forum.Mention, []string) {
	var mentions []forum.Mention
	var tags []string
	seenM := map[string]bool{}
	seenT := map[string]bool{}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link, *ast.AutoLink:
			return ast.WalkSkipChildren, nil
		case *mentionNode:
			if n.Unknown {
				return ast.WalkContinue, nil
			}
			if blockquoteDepth(n) > 0 {
				// Quoted text's mentions are the quoted author's, already told: a quote
				// notified everyone it named again, as mentioned by whoever quoted it.
				return ast.WalkContinue, nil
			}
			key := strings.ToLower(n.Username + "@" + n.Domain)
			if !seenM[key] {
				seenM[key] = true
				mentions = append(mentions, forum.Mention{Username: n.Username, Domain: n.Domain})
			}
		case *hashtagNode:
			key := strings.ToLower(n.Tag)
			if !seenT[key] {
				seenT[key] = true
				tags = append(tags, n.Tag)
			}
		}
		return ast.WalkContinue, nil
	})
	return mentions, tags
}

// localHost is the host name (no port: mentions cannot carry one) that makes @user@host a local
// mention; "" without a base URL.
func (m *Markup) localHost() string {
	if m.base == nil {
		return ""
	}
	return strings.ToLower(m.base.Hostname())
}

// profileURL is where a mention links (ProfileURL).
func (m *Markup) profileURL(username, domain string) string {
	return ProfileURL(m.base, username, domain)
}

// ProfileURL is where a mention of username (at domain, "" for a member) links in a rendered
// post: the member's page here, or this forum's page of someone elsewhere, /u/user@host, which
// looks them up. Their own server's address for them is known only once their actor is fetched,
// and servers differ (/@user on Mastodon, /u/user on Lemmy and Stoa): what is sent to other
// servers has the link rewritten to it then (federation's post documents). base makes the URL
// absolute; nil leaves a path.
func ProfileURL(base *url.URL, username, domain string) string {
	path := "/u/" + url.PathEscape(strings.ToLower(username))
	if domain != "" {
		path += "@" + strings.ToLower(domain)
	}
	if base == nil {
		return path
	}
	return strings.TrimSuffix(base.String(), "/") + path
}

// LegacyRemoteProfileURL is where posts rendered before ProfileURL linked a mention of someone
// elsewhere (Mastodon's convention, https://host/@user), still in their stored HTML.
func LegacyRemoteProfileURL(username, domain string) string {
	return fmt.Sprintf("https://%s/@%s", domain, url.PathEscape(username))
}
