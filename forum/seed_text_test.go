package forum

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// Every template fills completely, titles are valid titles and generated handles valid handles.
func TestSeedTextIsWellFormed(t *testing.T) {
	t.Parallel()
	g := seedText{r: rand.New(rand.NewPCG(7, 7)), mentionable: []string{"alice"}}
	for range 5000 {
		for _, s := range []string{g.title(), g.piece()} {
			if strings.Contains(s, "%[") || strings.Contains(s, "%!") {
				t.Fatalf("unfilled template: %q", s)
			}
		}
		title := g.title()
		v := &ValidationError{}
		if validateTitle(v, title); v.Err() != nil || title != normalizeTitle(title) {
			t.Fatalf("title %q: %v", title, v.Err())
		}
		if p := g.piece(); strings.HasPrefix(p, "- ") || strings.HasPrefix(p, "1. ") {
			t.Fatalf("a piece starts with a list, so joined pieces could merge lists: %q", p)
		}
	}
	if got := fill("%[2]s and %[1]s, %[2]s", []string{"a", "b"}); got != "b and a, b" {
		t.Errorf("fill = %q", got)
	}
}
