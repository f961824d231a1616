package markup

import (
	"html"
	"regexp"
	"strings"
	"unicode"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
	"golang.org/x/net/idna"
)

// The mention and hashtag grammars follow Mastodon's (app/models/account.rb MENTION_RE and
// app/models/tag.rb HASHTAG_RE), so what a Mastodon user would see as a mention is one here too.
var (
	mentionRE = regexp.MustCompile(`^@([A-Za-z0-9_]+(?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?)(?:@([\p{L}\p{N}_][\p{L}\p{N}_.\-]*[\p{L}\p{N}_]))?`)
	localRE   = regexp.MustCompile(`^[A-Za-z0-9_]{1,30}$`)
	hashtagRE = regexp.MustCompile(`^#([\p{L}\p{N}_]{1,100})`)
)

// mentionNode is an @user or @user@host.
type mentionNode struct {
	ast.BaseInline
	Username string
	Domain   string // "" for a local member
	Written  string // as written, for rendering inside a link
	// Unknown is a local name that is no member here (Options.LocalMember): plain text.
	Unknown bool
}

// hashtagNode is a #tag.
type hashtagNode struct {
	ast.BaseInline
	Tag string
}

var (
	kindMention = ast.NewNodeKind("StoaMention")
	kindHashtag = ast.NewNodeKind("StoaHashtag")
)

func (n *mentionNode) Kind() ast.NodeKind { return kindMention }
func (n *hashtagNode) Kind() ast.NodeKind { return kindHashtag }
func (n *mentionNode) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"Username": n.Username, "Domain": n.Domain}, nil)
}
func (n *hashtagNode) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"Tag": n.Tag}, nil)
}

// startsToken reports whether a mention or hashtag may begin after r: not in the middle of a word,
// a path (/@user) or an e-mail address, nor right after a closing parenthesis.
func startsToken(r rune) bool {
	return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '/' || r == ')' || r == '@' || r == '#' || r == '&')
}

// mentionParser knows the local host so @user@this-forum is recorded as a local mention.
type mentionParser struct{ m *Markup }

func (mentionParser) Trigger() []byte { return []byte{'@'} }

func (p mentionParser) Parse(_ ast.Node, block text.Reader, _ parser.Context) ast.Node {
	if !startsToken(block.PrecendingCharacter()) {
		return nil
	}
	line, _ := block.PeekLine()
	m := mentionRE.FindSubmatch(line)
	if m == nil {
		return nil
	}
	username, domain := string(m[1]), string(m[2])
	if domain != "" {
		ascii, err := idna.Lookup.ToASCII(domain)
		if err != nil || !strings.Contains(ascii, ".") {
			return nil
		}
		domain = strings.ToLower(ascii)
		if domain == p.m.localHost() {
			domain = ""
		}
	}
	if domain == "" && !localRE.MatchString(username) {
		// Local handles are [a-z0-9_]{1,30}; anything else cannot name a member here.
		return nil
	}
	block.Advance(len(m[0]))
	return &mentionNode{Username: username, Domain: domain, Written: string(m[0])}
}

type hashtagParser struct{}

func (hashtagParser) Trigger() []byte { return []byte{'#'} }

func (hashtagParser) Parse(_ ast.Node, block text.Reader, _ parser.Context) ast.Node {
	if !startsToken(block.PrecendingCharacter()) {
		return nil
	}
	line, _ := block.PeekLine()
	m := hashtagRE.FindSubmatch(line)
	if m == nil {
		return nil
	}
	tag := string(m[1])
	// A tag needs a letter (or underscore): "#1" is an issue number, not a hashtag.
	if strings.IndexFunc(tag, func(r rune) bool { return unicode.IsLetter(r) || r == '_' }) < 0 {
		return nil
	}
	block.Advance(len(m[0]))
	return &hashtagNode{Tag: tag}
}

// tagRenderer writes mentions and hashtags with the microformats Mastodon uses, so other servers'
// sanitizers keep them and their clients style them.
type tagRenderer struct{ m *Markup }

func (r *tagRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindMention, r.renderMention)
	reg.Register(kindHashtag, r.renderHashtag)
}

// insideLink reports whether n is part of a link's text: a link inside a link is not allowed, so
// such a mention stays plain text.
func insideLink(n ast.Node) bool {
	for p := n.Parent(); p != nil; p = p.Parent() {
		switch p.(type) {
		case *ast.Link, *ast.AutoLink:
			return true
		}
	}
	return false
}

func (r *tagRenderer) renderMention(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*mentionNode)
	if insideLink(n) || n.Unknown {
		_, _ = w.WriteString(html.EscapeString(n.Written))
		return ast.WalkContinue, nil
	}
	domain := n.Domain
	shown := n.Username
	if domain != "" {
		shown += "@" + domain
	}
	_, _ = w.WriteString(`<span class="h-card"><a href="` + html.EscapeString(r.m.profileURL(n.Username, domain)) +
		`" class="u-url mention">@<span>` + html.EscapeString(shown) + `</span></a></span>`)
	return ast.WalkContinue, nil
}

func (r *tagRenderer) renderHashtag(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*hashtagNode)
	tag := html.EscapeString(n.Tag)
	switch {
	case insideLink(n):
		_, _ = w.WriteString("#" + tag)
	case r.m.tagURL != nil:
		_, _ = w.WriteString(`<a href="` + html.EscapeString(r.m.tagURL(n.Tag)) + `" class="mention hashtag" rel="tag">#<span>` + tag + `</span></a>`)
	default:
		_, _ = w.WriteString(`<span class="hashtag">#` + tag + `</span>`)
	}
	return ast.WalkContinue, nil
}

func htmlEscape(s string) string { return html.EscapeString(s) }
