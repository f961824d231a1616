package federation

import (
	"fmt"

	"github.com/go-fed/activity/streams"
)

// collectionInput describes an OrderedCollection. Small collections (moderators, featured) carry
// their items inline; large ones (followers, following) link to their first page.
type collectionInput struct {
	ID           string
	TotalItems   int
	First        string   // IRI of the first page; "" when items are inline or there are none
	Items        []string // inline items (IRIs); nil for paged collections
	Inline       bool     // write orderedItems even when empty (Lemmy requires the property)
	AttributedTo string
}

// orderedCollectionDocument builds an OrderedCollection with go-fed's vocabulary.
func orderedCollectionDocument(in collectionInput) (map[string]any, error) {
	c := streams.NewActivityStreamsOrderedCollection()
	id, err := parseIRI(in.ID)
	if err != nil {
		return nil, err
	}
	c.SetJSONLDId(idProperty(id))
	total := streams.NewActivityStreamsTotalItemsProperty()
	total.Set(in.TotalItems)
	c.SetActivityStreamsTotalItems(total)
	if in.First != "" {
		u, err := parseIRI(in.First)
		if err != nil {
			return nil, err
		}
		first := streams.NewActivityStreamsFirstProperty()
		first.SetIRI(u)
		c.SetActivityStreamsFirst(first)
	}
	if in.AttributedTo != "" {
		u, err := parseIRI(in.AttributedTo)
		if err != nil {
			return nil, err
		}
		at := streams.NewActivityStreamsAttributedToProperty()
		at.AppendIRI(u)
		c.SetActivityStreamsAttributedTo(at)
	}
	doc, err := c.Serialize()
	if err != nil {
		return nil, fmt.Errorf("serialize %s: %w", in.ID, err)
	}
	doc["@context"] = ldContext()
	if in.Inline || len(in.Items) > 0 {
		if doc["orderedItems"], err = itemArray(in.Items); err != nil {
			return nil, err
		}
	}
	return doc, nil
}

// collectionPageDocument builds one OrderedCollectionPage of a paged collection.
func collectionPageDocument(id, partOf, next string, items []string) (map[string]any, error) {
	p := streams.NewActivityStreamsOrderedCollectionPage()
	u, err := parseIRI(id)
	if err != nil {
		return nil, err
	}
	p.SetJSONLDId(idProperty(u))
	po, err := parseIRI(partOf)
	if err != nil {
		return nil, err
	}
	partOfProp := streams.NewActivityStreamsPartOfProperty()
	partOfProp.SetIRI(po)
	p.SetActivityStreamsPartOf(partOfProp)
	if next != "" {
		n, err := parseIRI(next)
		if err != nil {
			return nil, err
		}
		nextProp := streams.NewActivityStreamsNextProperty()
		nextProp.SetIRI(n)
		p.SetActivityStreamsNext(nextProp)
	}
	doc, err := p.Serialize()
	if err != nil {
		return nil, fmt.Errorf("serialize %s: %w", id, err)
	}
	doc["@context"] = ldContext()
	if doc["orderedItems"], err = itemArray(items); err != nil {
		return nil, err
	}
	return doc, nil
}

// itemArray is orderedItems as a JSON array of IRIs, also for zero or one item: go-fed would write
// a single item as a bare string, and Lemmy's parser wants an array.
func itemArray(items []string) ([]any, error) {
	out := make([]any, 0, len(items))
	for _, s := range items {
		if _, err := parseIRI(s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
