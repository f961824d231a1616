package inbox

import (
	"fmt"
	"net/http"
	"testing"
)

// A remote actor's Delete of itself ends its signatures here at once, although the process holds
// its key in memory (federation.Actors caches resolved keys): applying the Delete drops the key.
func TestActorsDeleteOfItselfEndsItsSignaturesAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ada := h.peers.host("masto.test").actor("Person", "ada", testKey(0))
	like := func(n int) []byte {
		return activity(map[string]any{"id": fmt.Sprintf("%s/likes/%d", ada.id, n), "type": "Like", "actor": ada.id,
			"object": h.postIRI(h.opener.ID)})
	}
	h.deliver(ada, like(1)) // fetches ada and her key
	h.deliver(ada, like(2)) // reads her row: the key is cached from here on
	h.deliver(ada, activity(map[string]any{"id": ada.id + "#delete", "type": "Delete", "actor": ada.id, "object": ada.id,
		"to": []string{asPublic}}))
	h.settle()
	if a, err := h.f.ActorByAPID(h.ctx, ada.id); err != nil || a.DeletedAt == nil {
		t.Fatalf("the Delete did not delete the actor (%v)", err)
	}
	sig := ada.signature()
	status, msg := h.send("/inbox", like(3), &sig)
	h.expect(status, msg, http.StatusUnauthorized)
}
