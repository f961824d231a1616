package federation

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// A server's WebFinger may name an account hosted elsewhere only if that account's own server
// agrees (as example.com may answer for social.example.com): gamma.test's bob is beta.test's bob,
// whose own WebFinger says so; gamma's dave is an actor on fake.test whose WebFinger gives another
// actor for dave, so the handle is refused.
func TestAHandleNamingAnAccountElsewhereNeedsThatServersWord(t *testing.T) {
	t.Parallel()
	_, beta := newInstances(t, false)
	ctx := context.Background()
	forumtest.Member(t, beta.forum, "bob", forum.RoleMember)

	key, err := forumtest.SharedKey()
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	// One server answers for gamma.test and fake.test.
	gamma := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/users/dave" {
			w.Header().Set("Content-Type", "application/activity+json")
			_ = json.NewEncoder(w).Encode(map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
				"id": "http://fake.test/users/dave", "type": "Person", "preferredUsername": "dave",
				"inbox": "http://fake.test/users/dave/inbox", "publicKey": map[string]string{
					"id": "http://fake.test/users/dave#main-key", "owner": "http://fake.test/users/dave", "publicKeyPem": pemKey}})
			return
		}
		target := map[string]string{"acct:bob@gamma.test": "http://beta.test/u/bob",
			"acct:dave@gamma.test": "http://fake.test/users/dave", "acct:dave@fake.test": "http://fake.test/users/someone_else"}[r.URL.Query().Get("resource")]
		if target == "" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/jrd+json")
		_ = json.NewEncoder(w).Encode(map[string]any{"subject": r.URL.Query().Get("resource"),
			"links": []map[string]string{{"rel": "self", "type": "application/activity+json", "href": target}}})
	}))
	t.Cleanup(gamma.Close)
	f, _ := forumtest.New(t, forum.Options{})
	fed, err := New(Config{Forum: f, PublicURL: &url.URL{Scheme: "http", Host: "delta.test"}, UnsafeLocal: true,
		HostMap: map[string]string{"beta.test": strings.TrimPrefix(beta.srv.URL, "http://"), "gamma.test": strings.TrimPrefix(gamma.URL, "http://"),
			"fake.test": strings.TrimPrefix(gamma.URL, "http://")},
		Software: Software{Version: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := fed.Actors.ResolveHandle(ctx, "bob", "gamma.test")
	if err != nil || bob.APID != "http://beta.test/u/bob" || bob.Domain != "beta.test" {
		t.Fatalf("bob@gamma.test, which beta agrees is its bob: %+v, %v", bob, err)
	}
	if dave, err := fed.Actors.ResolveHandle(ctx, "dave", "gamma.test"); !errors.Is(err, ErrHandleMismatch) {
		t.Fatalf("dave@gamma.test, whose actor's own server names another dave: %+v, %v", dave, err)
	}
}
