package markup

import (
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// allowedTags is what rendered or sanitised HTML may contain; anything else is a sanitiser bug.
var allowedTags = map[string]bool{
	"p": true, "br": true, "strong": true, "b": true, "em": true, "i": true, "del": true, "s": true,
	"strike": true, "u": true, "sub": true, "sup": true, "blockquote": true, "pre": true, "code": true,
	"ul": true, "ol": true, "li": true, "hr": true, "h1": true, "h2": true, "h3": true, "h4": true,
	"h5": true, "h6": true, "table": true, "thead": true, "tbody": true, "tr": true, "th": true,
	"td": true, "span": true, "a": true, "img": true,
}

// unsafeHTML returns what is wrong with out, or "" when it is safe: only allowed tags, no event
// handlers or styles, URLs only http(s)/mailto (images only http(s)), and no "<script" anywhere.
func unsafeHTML(out string) string {
	if strings.Contains(strings.ToLower(out), "<script") {
		return "<script"
	}
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return ""
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken && tt != html.EndTagToken {
			continue
		}
		tok := z.Token()
		if !allowedTags[tok.Data] {
			return "tag <" + tok.Data + ">"
		}
		for _, a := range tok.Attr {
			key := strings.ToLower(a.Key)
			val := strings.ToLower(strings.TrimSpace(a.Val))
			switch {
			case strings.HasPrefix(key, "on"):
				return "event handler " + a.Key
			case key == "style":
				return "style attribute"
			case strings.Contains(val, "javascript:") || strings.Contains(val, "vbscript:") || strings.Contains(val, "data:"):
				return "script or data URL in " + a.Key
			case key == "href" || key == "src":
				u, err := url.Parse(a.Val)
				if err != nil {
					return "unparseable URL in " + a.Key
				}
				switch {
				case key == "src" && u.Scheme != "http" && u.Scheme != "https":
					return "image source " + a.Val
				case u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "mailto":
					return "URL scheme " + u.Scheme
				}
			}
		}
	}
}
