package forum

import (
	"strings"

	"golang.org/x/net/html"
)

// stripMentionLinks drops the mention links from an HTML fragment (Mastodon, GoToSocial and
// Misskey mark them class="mention", hashtags class="mention hashtag", which stay), so that a
// title taken from the first line does not begin with "@general@forum.example".
func stripMentionLinks(fragment string) string {
	z := html.NewTokenizer(strings.NewReader(fragment))
	var b strings.Builder
	skipping := 0 // depth of <a> inside a mention link being skipped
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return b.String()
		}
		tok := z.Token()
		if tok.DataAtom.String() == "a" || tok.Data == "a" {
			switch tt {
			case html.StartTagToken:
				if skipping > 0 || isMentionLink(tok) {
					skipping++
					continue
				}
			case html.EndTagToken:
				if skipping > 0 {
					skipping--
					continue
				}
			}
		}
		if skipping > 0 {
			continue
		}
		b.WriteString(tok.String())
	}
}

func isMentionLink(t html.Token) bool {
	for _, a := range t.Attr {
		if a.Key != "class" {
			continue
		}
		classes := strings.Fields(a.Val)
		mention, hashtag := false, false
		for _, c := range classes {
			switch c {
			case "mention":
				mention = true
			case "hashtag":
				hashtag = true
			}
		}
		return mention && !hashtag
	}
	return false
}
