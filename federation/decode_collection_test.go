package federation

import (
	"errors"
	"slices"
	"testing"
)

func TestDecodeCollectionPage(t *testing.T) {
	t.Parallel()
	// Stoa's own context collection: the first page by id, the history linked.
	c, err := DecodeCollectionPage([]byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/t/1",
		"type":"OrderedCollection","totalItems":31,"first":"https://a.example/t/1?page=1","contextHistory":"https://a.example/t/1/history"}`))
	if err != nil || c.First != "https://a.example/t/1?page=1" || c.ContextHistory != "https://a.example/t/1/history" || len(c.Items) != 0 {
		t.Fatalf("collection: %+v, %v", c, err)
	}
	// A page with IRIs and an embedded object, and a next page.
	p, err := DecodeCollectionPage([]byte(`{"id":"https://a.example/t/1?page=1","type":"OrderedCollectionPage",
		"next":"https://a.example/t/1?page=1&after=30","orderedItems":["https://a.example/p/1",{"id":"https://a.example/p/2","type":"Note"}]}`))
	if err != nil || !slices.Equal(p.Items, []string{"https://a.example/p/1", "https://a.example/p/2"}) ||
		p.Next != "https://a.example/t/1?page=1&after=30" || p.Embedded["https://a.example/p/2"] == nil {
		t.Fatalf("page: %+v, %v", p, err)
	}
	// Mastodon's replies: the first page embedded, with items and next.
	m, err := DecodeCollectionPage([]byte(`{"id":"https://m.example/users/a/statuses/1/replies","type":"Collection",
		"first":{"type":"CollectionPage","next":"https://m.example/users/a/statuses/1/replies?page=true","items":["https://m.example/users/b/statuses/2"]}}`))
	if err != nil || !slices.Equal(m.Items, []string{"https://m.example/users/b/statuses/2"}) || m.Next == "" {
		t.Fatalf("embedded first page: %+v, %v", m, err)
	}
	// Not a collection, an item without an id, an item that is not http(s): refused as malformed.
	for _, doc := range []string{
		`{"id":"https://a.example/p/1","type":"Note"}`,
		`{"id":"https://a.example/c","type":"OrderedCollectionPage","orderedItems":[{"type":"Note"}]}`,
		`{"id":"https://a.example/c","type":"OrderedCollectionPage","orderedItems":["javascript:alert(1)"]}`,
		`[1,2]`,
	} {
		if _, err := DecodeCollectionPage([]byte(doc)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", doc, err)
		}
	}
}
