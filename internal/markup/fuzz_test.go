package markup

import (
	"testing"
)

// The seed corpus (these seeds plus testdata/fuzz/<Fuzz name>/) runs on every `go test`; run
// `go test -fuzz=FuzzRenderMarkdown ./internal/markup/` to search further.

func FuzzRenderMarkdown(f *testing.F) {
	for _, s := range []string{
		"plain", "*em* **strong** `code`", "[a](https://x.example)", "![i](https://x.example/i.png)",
		"@alice @bob@host.example #tag", "<script>alert(1)</script>", "[x](javascript:alert(1))",
		"> quote\n>\n> — [@a](/p/1)", "| a |\n|---|\n| <img src=x onerror=y> |", "```\n<b>\n```",
	} {
		f.Add(s)
	}
	m := newTestMarkup(f)
	f.Fuzz(func(t *testing.T, src string) {
		out := m.RenderMarkdown(src).HTML
		if problem := unsafeHTML(out); problem != "" {
			t.Fatalf("%s in output %q of %q", problem, out, src)
		}
	})
}

func FuzzSanitizeHTML(f *testing.F) {
	for _, s := range []string{
		`<p>hi</p>`, `<a href="javascript:alert(1)">x</a>`, `<img src=x onerror=alert(1)>`,
		`<span class="h-card"><a href="https://h.example/@u" class="u-url mention">@<span>u</span></a></span>`,
		`<svg><script>alert(1)</script></svg>`, `<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
		`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`, `<a href="&#x6A;avascript:alert(1)">x</a>`,
	} {
		f.Add(s)
	}
	m := newTestMarkup(f)
	f.Fuzz(func(t *testing.T, src string) {
		out := m.SanitizeHTML(src)
		if problem := unsafeHTML(out); problem != "" {
			t.Fatalf("%s in output %q of %q", problem, out, src)
		}
	})
}
