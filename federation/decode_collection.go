package federation

import (
	"encoding/json"
)

// MaxCollectionPageItems bounds the items read from one page of a remote collection.
const MaxCollectionPageItems = 200

// CollectionPage is a collection, or one page of it, as a sync reads it: the ids of its items
// (IRIs, or the ids of embedded objects), where the next page is, where the first page is (on the
// collection itself), and, on a thread's context collection, its contextHistory.
type CollectionPage struct {
	ID             string
	Type           string
	Items          []string
	First          string
	Next           string
	ContextHistory string
	// Embedded holds the embedded items by id: a page may carry the objects themselves.
	Embedded map[string]json.RawMessage
}

// DecodeCollectionPage reads an OrderedCollection, Collection or one of their pages. A first page
// embedded in the collection is read as the collection's own items.
func DecodeCollectionPage(body []byte) (CollectionPage, error) {
	var raw struct {
		ID             string          `json:"id"`
		Type           json.RawMessage `json:"type"`
		OrderedItems   json.RawMessage `json:"orderedItems"`
		Items          json.RawMessage `json:"items"`
		First          json.RawMessage `json:"first"`
		Next           json.RawMessage `json:"next"`
		ContextHistory json.RawMessage `json:"contextHistory"`
	}
	if err := decodeJSON(body, &raw); err != nil {
		return CollectionPage{}, err
	}
	typ, err := firstType(raw.Type)
	if err != nil {
		return CollectionPage{}, malformed("type: %v", err)
	}
	switch typ {
	case "OrderedCollection", "Collection", "OrderedCollectionPage", "CollectionPage":
	default:
		return CollectionPage{}, malformed("a %q is not a collection", typ)
	}
	page := CollectionPage{ID: raw.ID, Type: typ, Embedded: map[string]json.RawMessage{}}
	itemsRaw := raw.OrderedItems
	if len(itemsRaw) == 0 {
		itemsRaw = raw.Items
	}
	first, err := parseRef(raw.First, "first")
	if err != nil {
		return CollectionPage{}, err
	}
	page.First = first.ID
	if first.Raw != nil && len(itemsRaw) == 0 {
		// The first page is embedded (Mastodon's replies): read its items and next here.
		inner, err := DecodeCollectionPage(first.Raw)
		if err != nil {
			return CollectionPage{}, err
		}
		page.Items, page.Embedded, page.Next = inner.Items, inner.Embedded, inner.Next
	}
	if len(itemsRaw) > 0 {
		refs, err := refList(itemsRaw, "items", MaxCollectionPageItems)
		if err != nil {
			return CollectionPage{}, err
		}
		for _, r := range refs {
			if r.ID == "" || !isAbsoluteHTTP(r.ID) {
				return CollectionPage{}, malformed("an item without an http(s) id")
			}
			page.Items = append(page.Items, r.ID)
			if r.Raw != nil {
				page.Embedded[r.ID] = r.Raw
			}
		}
	}
	if len(raw.Next) > 0 {
		next, err := parseRef(raw.Next, "next")
		if err != nil {
			return CollectionPage{}, err
		}
		page.Next = next.ID
	}
	if len(raw.ContextHistory) > 0 {
		h, err := parseRef(raw.ContextHistory, "contextHistory")
		if err != nil {
			return CollectionPage{}, err
		}
		page.ContextHistory = h.ID
	}
	return page, nil
}
