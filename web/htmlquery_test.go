package web

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// Helpers that query rendered HTML by data-testid, shared by every web test.

// doc parses an HTML response.
func doc(t *testing.T, rec *httptest.ResponseRecorder) *html.Node {
	t.Helper()
	n, err := html.Parse(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// byTestID finds the elements with a data-testid.
func byTestID(n *html.Node, id string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && attr(n, "data-testid") == id {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func one(t *testing.T, n *html.Node, id string) *html.Node {
	t.Helper()
	found := byTestID(n, id)
	if len(found) != 1 {
		t.Fatalf("%d elements with data-testid=%q, want 1", len(found), id)
	}
	return found[0]
}

func attr(n *html.Node, key string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// text is the text content of n, white space collapsed.
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// findAttr finds the first element under n with the attribute key=val.
func findAttr(n *html.Node, key, val string) *html.Node {
	if n.Type == html.ElementNode && attr(n, key) == val {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if found := findAttr(c, key, val); found != nil {
			return found
		}
	}
	return nil
}

// hasAttr reports whether n carries the attribute at all (boolean attributes have no value).
func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// firstByTestID is the first element with data-testid=id, or nil.
func firstByTestID(n *html.Node, id string) *html.Node {
	if found := byTestID(n, id); len(found) > 0 {
		return found[0]
	}
	return nil
}

// renderComponent renders a templ component into a parsed document.
func renderComponent(t *testing.T, c interface {
	Render(context.Context, io.Writer) error
}) *html.Node {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
