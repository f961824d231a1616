package forum

import "testing"

// The parsed-key cache stays bounded however many actors sign, and keeps the key just put.
func TestTheParsedKeyCacheIsBounded(t *testing.T) {
	c := &keyCache{keys: map[int64]SigningKey{}}
	for id := int64(1); id <= 3*maxParsedKeys; id++ {
		c.put(SigningKey{ActorID: id})
		if _, ok := c.get(id); !ok {
			t.Fatalf("key %d is not kept right after it was put", id)
		}
	}
	if n := len(c.keys); n > maxParsedKeys || n < maxParsedKeys*3/4 {
		t.Fatalf("%d keys cached after %d were put, want between %d and %d", n, 3*maxParsedKeys, maxParsedKeys*3/4, maxParsedKeys)
	}
}
