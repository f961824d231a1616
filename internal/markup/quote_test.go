package markup

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestQuotesAreBlockquotesLinkingToPostsHere(t *testing.T) {
	t.Parallel()
	m := newTestMarkup(t)
	cases := []struct {
		name, in string
		want     []int64
	}{
		{"the composer's quote", "> [@alice wrote](/p/12):\n>\n> hello\n\nI agree", []int64{12}},
		{"an absolute link to this forum", "> [earlier](https://forum.example/p/7)\n> text", []int64{7}},
		{"two quotes, one twice", "> [@a wrote](/p/3):\n> x\n\n> [@b wrote](/p/4):\n> y\n\n> [@a wrote](/p/3):\n> z", []int64{3, 4}},
		{"nested in a list's quote", "- item\n\n  > [see](/p/9)", []int64{9}},
		{"a link outside a quote is not a quote", "as [@alice wrote](/p/12), yes", nil},
		{"another site's post", "> [there](https://other.example/p/5)", nil},
		{"not a post", "> [thread](/t/5) and [me](/u/alice)", nil},
		{"not an id", "> [x](/p/abc) [y](/p/0) [z](/p/12/history)", nil},
		{"a quote's own quote is not this post's", "> [@bob wrote](/p/3):\n>\n> > [@alice wrote](/p/2):\n> > hi\n>\n> yes\n\nthanks", []int64{3}},
	}
	for _, c := range cases {
		if got := m.RenderMarkdown(c.in).Quotes; !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: quotes %v, want %v", c.name, got, c.want)
		}
	}
	// Mentions in quoted text are the quoted author's: the quote does not mention them again.
	if got := m.RenderMarkdown("> [@bob wrote](/p/3):\n>\n> cc @carol\n\nthanks @dave").Mentions; len(got) != 1 || got[0].Username != "dave" {
		t.Errorf("mentions of a post quoting a mention: %+v, want dave only", got)
	}
	var many strings.Builder
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&many, "> [q](/p/%d)\n\n", i)
	}
	if got := m.RenderMarkdown(many.String()).Quotes; len(got) != maxQuotes || got[0] != 1 {
		t.Errorf("30 quotes: reported %v, want the first %d", got, maxQuotes)
	}
}
