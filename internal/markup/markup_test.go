package markup

import (
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/remote")

func newTestMarkup(t testing.TB) *Markup {
	t.Helper()
	u, err := url.Parse("https://forum.example")
	if err != nil {
		t.Fatal(err)
	}
	return New(Options{BaseURL: u})
}

func TestMarkdownBasics(t *testing.T) {
	t.Parallel()
	m := newTestMarkup(t)
	cases := []struct{ name, in, want string }{
		{"paragraph and emphasis", "Hello *world*", "<p>Hello <em>world</em></p>"},
		{"newline is a line break", "one\ntwo", "<p>one<br/>\ntwo</p>"},
		{"code span keeps its text", "`a < b`", "<p><code>a &lt; b</code></p>"},
		{"strikethrough", "~~gone~~", "<p><del>gone</del></p>"},
		{"raw HTML is shown as text", "I <b>mean</b> it", "<p>I &lt;b&gt;mean&lt;/b&gt; it</p>"},
		{"raw HTML block is shown as text", "<div onclick=\"x()\">hi</div>", "<p>&lt;div onclick=&#34;x()&#34;&gt;hi&lt;/div&gt;</p>"},
		{"relative links become absolute", "[thread](/t/1)", `<p><a href="https://forum.example/t/1">thread</a></p>`},
		{"external links get rel", "[site](https://other.example/x)",
			`<p><a href="https://other.example/x" rel="nofollow noopener noreferrer ugc">site</a></p>`},
		{"bare URLs are linked", "see https://other.example/a?b=1 now",
			`<p>see <a href="https://other.example/a?b=1" rel="nofollow noopener noreferrer ugc">https://other.example/a?b=1</a> now</p>`},
		{"http images stay", "![cat](https://img.example/cat.png)", `<p><img src="https://img.example/cat.png" alt="cat"/></p>`},
		{"data images go", "![x](data:image/png;base64,AAAA)", "<p></p>"},
		{"blockquote", "> quoted\n\nreply", "<blockquote>\n<p>quoted</p>\n</blockquote>\n<p>reply</p>"},
		{"empty", "", ""},
	}
	for _, c := range cases {
		got := strings.TrimSpace(m.RenderMarkdown(c.in).HTML)
		if got != c.want {
			t.Errorf("%s:\n in  %q\n got %q\nwant %q", c.name, c.in, got, c.want)
		}
	}
}

func TestXSSVectorsInMarkdown(t *testing.T) {
	t.Parallel()
	m := newTestMarkup(t)
	vectors := []string{
		"[x](javascript:alert(1))",
		"[x](JaVaScRiPt:alert(1))",
		"[x](java&#x09;script:alert(1))",
		"[x](&#106;avascript:alert(1))",
		"[x](%6Aavascript:alert(1))",
		"[x]( javascript:alert(1))",
		"[x](<javascript:alert(1)>)",
		"<javascript:alert(1)>",
		"![x](javascript:alert(1))",
		"[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
		"[x](vbscript:msgbox(1))",
		"[x][ref]\n\n[ref]: javascript:alert(1)",
		"<script>alert(1)</script>",
		"<img src=x onerror=alert(1)>",
		"<svg onload=alert(1)>",
		"<a href=\"javascript:alert(1)\">x</a>",
		"<iframe src=\"https://evil.example\"></iframe>",
		"[a](https://x.example \"title\\\" onmouseover=\\\"alert(1)\")",
		"![a\" onerror=\"alert(1)](https://x.example/a.png)",
		"`<script>`\n\n```\n<script>alert(1)</script>\n```",
		"@a\" onclick=\"x@evil.example",
		"#tag\"><script>alert(1)</script>",
	}
	for _, v := range vectors {
		out := m.RenderMarkdown(v).HTML
		if problem := unsafeHTML(out); problem != "" {
			t.Errorf("input %q: %s in output %q", v, problem, out)
		}
	}
}

func TestMentionsAndHashtags(t *testing.T) {
	t.Parallel()
	m := newTestMarkup(t)
	r := m.RenderMarkdown("Hi @Alice, @bob@Mastodon.Social and @carol@forum.example! #Go #go #1 #café\n\n" +
		"`@dave` and [@erin](https://x.example) and [#linked](https://x.example)\n\n```\n@frank #codetag\n```\n\n" +
		"mail gina@example.org, path /@hank, (@ivan), @with-dash, a@b")
	wantMentions := []forum.Mention{{Username: "Alice"}, {Username: "bob", Domain: "mastodon.social"}, {Username: "carol"}, {Username: "ivan"}}
	if !reflect.DeepEqual(r.Mentions, wantMentions) {
		t.Errorf("mentions = %+v, want %+v", r.Mentions, wantMentions)
	}
	if want := []string{"Go", "café"}; !reflect.DeepEqual(r.Hashtags, want) {
		t.Errorf("hashtags = %v, want %v", r.Hashtags, want)
	}
	for _, want := range []string{
		`<span class="h-card"><a class="u-url mention" href="https://forum.example/u/alice">@<span>Alice</span></a></span>`,
		`<span class="h-card"><a class="u-url mention" href="https://forum.example/u/bob@mastodon.social">@<span>bob@mastodon.social</span></a></span>`,
		`<a class="u-url mention" href="https://forum.example/u/carol">@<span>carol</span></a>`,
		`<span class="hashtag">#Go</span>`,
		`<code>@dave</code>`,
		`<a href="https://x.example" rel="nofollow noopener noreferrer ugc">@erin</a>`,
		`<a href="https://x.example" rel="nofollow noopener noreferrer ugc">#linked</a>`,
		"@frank #codetag",
		`<a href="mailto:gina@example.org" rel="nofollow noopener noreferrer ugc">gina@example.org</a>`,
		"path /@hank",
		"@with-dash",
	} {
		if !strings.Contains(r.HTML, want) {
			t.Errorf("output lacks %s\n%s", want, r.HTML)
		}
	}
	if strings.Contains(r.HTML, "/u/dave") || strings.Contains(r.HTML, "/u/frank") || strings.Contains(r.HTML, "/u/hank") {
		t.Errorf("a mention inside code or a path was linked:\n%s", r.HTML)
	}
}

func TestHashtagLinksWhenATagPageExists(t *testing.T) {
	t.Parallel()
	base, _ := url.Parse("https://forum.example")
	m := New(Options{BaseURL: base, TagURL: func(tag string) string { return "/tags/" + url.PathEscape(strings.ToLower(tag)) }})
	got := m.RenderMarkdown("about #Cats").HTML
	want := `<a class="mention hashtag" href="https://forum.example/tags/cats" rel="tag">#<span>Cats</span></a>`
	if !strings.Contains(got, want) {
		t.Fatalf("got %s, want it to contain %s", got, want)
	}
}

func TestWithoutBaseURLLinksStayRelative(t *testing.T) {
	t.Parallel()
	m := New(Options{})
	got := m.RenderMarkdown("@alice [t](/t/2) ![i](/static/a.png)").HTML
	for _, want := range []string{`href="/u/alice"`, `<a href="/t/2">t</a>`} {
		if !strings.Contains(got, want) {
			t.Errorf("%s lacks %s", got, want)
		}
	}
	if strings.Contains(got, "<img") {
		t.Errorf("a relative image survived without a base to resolve it: %s", got)
	}
}

func TestSanitizeRemoteHTML(t *testing.T) {
	t.Parallel()
	m := newTestMarkup(t)
	files, err := filepath.Glob("testdata/remote/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("no remote fixtures: %v", err)
	}
	for _, f := range files {
		in, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got := m.SanitizeHTML(string(in))
		if problem := unsafeHTML(got); problem != "" {
			t.Errorf("%s: %s in %q", f, problem, got)
		}
		golden := strings.TrimSuffix(f, ".html") + ".golden"
		if *update {
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("%s:\n got %q\nwant %q", f, got, want)
		}
	}
}

func TestRemoteRelativeLinksAreDropped(t *testing.T) {
	t.Parallel()
	m := newTestMarkup(t)
	got := m.SanitizeHTML(`<p><a href="/tags/x">x</a> <img src="/a.png"></p>`)
	if strings.Contains(got, "forum.example") || strings.Contains(got, "href") || strings.Contains(got, "<img") {
		t.Fatalf("a relative URL from another server was kept or resolved against this forum: %s", got)
	}
	if !strings.Contains(got, "x") {
		t.Fatalf("the link text was lost: %s", got)
	}
}

// With LocalMember, an @name that is no member here stays plain text: not a link to a profile that
// does not exist, and not a mention.
func TestAnUnknownLocalNameIsNoMention(t *testing.T) {
	t.Parallel()
	base, _ := url.Parse("https://forum.example")
	asked := map[string]int{}
	m := New(Options{BaseURL: base, LocalMember: func(name string) bool { asked[name]++; return name == "alice" }})
	r := m.RenderMarkdown("@alice, @nobody and @nobody again, and @bob@social.example")
	if len(r.Mentions) != 2 || r.Mentions[0].Username != "alice" || r.Mentions[1].Domain != "social.example" {
		t.Errorf("mentions %+v, want alice and bob@social.example", r.Mentions)
	}
	if strings.Contains(r.HTML, "/u/nobody") || !strings.Contains(r.HTML, "@nobody") || !strings.Contains(r.HTML, "/u/alice") {
		t.Errorf("html %s", r.HTML)
	}
	if asked["nobody"] != 1 {
		t.Errorf("asked about nobody %d times, want once", asked["nobody"])
	}
}
