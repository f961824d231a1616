package forum

import (
	"html"
	"strings"
)

// plainMarkup is used when no Markup is configured: it escapes everything and keeps paragraphs, so
// output is always safe even without the real renderer.
type plainMarkup struct{}

func (plainMarkup) RenderMarkdown(source string) Rendered {
	var b strings.Builder
	for _, para := range strings.Split(strings.TrimSpace(source), "\n\n") {
		if strings.TrimSpace(para) == "" {
			continue
		}
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(html.EscapeString(strings.TrimSpace(para)), "\n", "<br>"))
		b.WriteString("</p>")
	}
	return Rendered{HTML: b.String()}
}

func (plainMarkup) SanitizeHTML(s string) string {
	return "<p>" + html.EscapeString(s) + "</p>"
}
