package forum

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/net/html"
)

// Stored HTML is trusted only with a valid MAC (SECURITY.md rule 20): the key is in the
// configuration, not the database, so someone who can write to the database (an SQL injection
// elsewhere, a restored dump, a careless manual fix) still cannot put markup of their choosing in
// front of readers. A post whose MAC does not verify is rendered again from its source (Markdown
// through the renderer, remote HTML through the sanitiser) and saved with a fresh MAC, which is
// also how stored HTML heals after the secret is rotated or the renderer improves.

// renderSource turns a post's source into the HTML to store.
func (f *Forum) renderSource(source, kind string) string {
	if kind == "html" {
		return f.markup.SanitizeHTML(source)
	}
	return f.markup.RenderMarkdown(source).HTML
}

// verifyHTML checks the MAC of each post not redacted; a post whose MAC fails is re-rendered and
// saved again. The save only applies if the row still holds the HTML that failed, so it never
// overwrites an edit committed in between.
func (f *Forum) verifyHTML(ctx context.Context, posts []Post) error {
	for i := range posts {
		p := &posts[i]
		if p.Redacted || f.secrets.htmlOK("post", p.ID, p.HTML, p.HTMLMAC) {
			continue
		}
		stale := p.HTML
		p.HTML = f.renderSource(p.Source, p.SourceKind)
		p.HTMLMAC = f.secrets.macHTML("post", p.ID, p.HTML)
		if _, err := f.db.Exec(ctx, `UPDATE posts SET html = $2, html_mac = $3 WHERE id = $1 AND html = $4`,
			p.ID, p.HTML, p.HTMLMAC, stale); err != nil {
			return fmt.Errorf("re-save the HTML of post %d: %w", p.ID, err)
		}
	}
	return nil
}

// plainText is the text of an HTML fragment, paragraphs and line breaks kept as newlines (for
// quoting remote posts, whose source is HTML).
func plainText(fragment string) string {
	z := html.NewTokenizer(strings.NewReader(fragment))
	var b strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.TrimSpace(b.String())
		case html.TextToken:
			b.Write(z.Text())
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "br":
				b.WriteString("\n")
			case "p", "li", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6":
				if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n\n") {
					b.WriteString("\n\n")
				}
			}
		}
	}
}

// Preview renders Markdown exactly as a post would be stored, without storing anything: the
// preview a writer sees is the post readers will see.
func (f *Forum) Preview(source string) string {
	return f.markup.RenderMarkdown(source).HTML
}

// PostTags lists the mentions and hashtags of a local post, from its source: what federation puts
// in the object's tag list (and, for mentions, its cc, without which Mastodon notifies nobody).
// Remote posts carry their tags in their own documents, and withheld posts reveal nothing: nil.
func (f *Forum) PostTags(p Post) ([]Mention, []string) {
	if p.SourceKind != "markdown" || p.Redacted {
		return nil, nil
	}
	r := f.markup.RenderMarkdown(p.Source)
	return r.Mentions, r.Hashtags
}
