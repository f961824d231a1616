package federation

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/stoa-forum/stoa/forum"
)

// Followers synchronization (FEP-8fcf, as Mastodon implements it): each delivery from an actor to
// a server where it has followers carries a Collection-Synchronization header with the digest of
// those followers' ids; a receiver whose own list differs fetches the partial collection the header
// points to (signed; Stoa lists only the followers on the signer's server) and fixes its side, so
// follows lost on either side heal without anyone noticing.

// followersSync is the name of the partial followers collection under an actor's id.
const followersSync = "followers_synchronization"

// MaxSyncFollowers bounds the partial followers collection (and so the digest's list).
const MaxSyncFollowers = 10000

// FollowersDigest is FEP-8fcf's digest of a list of actor ids: the XOR of their SHA-256 sums, in
// hexadecimal. Order does not matter; an empty list is 64 zeros.
func FollowersDigest(ids []string) string {
	var acc [sha256.Size]byte
	for _, id := range ids {
		sum := sha256.Sum256([]byte(id))
		for i := range acc {
			acc[i] ^= sum[i]
		}
	}
	return hex.EncodeToString(acc[:])
}

// CollectionSynchronization is the header value for deliveries from an actor whose followers on
// the receiving server have the given digest.
func (i IRIs) CollectionSynchronization(actor forum.Actor, digest string) (string, error) {
	ids, err := i.Actor(actor)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(`collectionId="%s", url="%s", digest="%s"`, ids.Followers, ids.ID+"/"+followersSync, digest), nil
}

// followersSynchronization answers the partial followers collection: the actor's followers on the
// server that signed the request. It requires a valid signature whatever the fetch mode, since the
// answer depends on who asks.
func (h *Handler) followersSynchronization(r *http.Request, ids ActorIRIs, a forum.Actor) (map[string]any, error) {
	v, ok := Signer(r.Context())
	if !ok {
		if h.verifier == nil {
			return nil, ErrUnsigned
		}
		verified, err := h.verifier.Verify(r.Context(), r, nil)
		if err != nil {
			return nil, err
		}
		v = verified
	}
	o, err := OriginOf(v.Owner)
	if err != nil {
		return nil, fmt.Errorf("signer %s: %w", clip(v.Owner), forum.ErrForbidden)
	}
	list, err := h.forum.DomainFollowers(r.Context(), a.ID, strings.ToLower(o.Host()), MaxSyncFollowers)
	if err != nil {
		return nil, err
	}
	id := ids.ID + "/" + followersSync
	return orderedCollectionDocument(collectionInput{ID: id, TotalItems: len(list), Items: list, Inline: true})
}
