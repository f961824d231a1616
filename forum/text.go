package forum

// escapeParagraphs turns plain text into escaped HTML paragraphs (for descriptions published as
// an actor's summary).
func escapeParagraphs(s string) string {
	return plainMarkup{}.RenderMarkdown(s).HTML
}
