package forum_test

import (
	"context"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// The key lookup every signed inbound request makes (federation.Actors.ResolveKey): one remote
// actor by key id, its 30 columns scanned. Run with
//
//	STOA_DATABASE_URL=... go test ./forum/ -run '^$' -bench ActorByKeyID -benchtime 5000x
//
// ns/op is the wall time of a call, the round trip included; with -cpuprofile the Go side shows.
func BenchmarkActorByKeyID(b *testing.B) {
	f, pool := forumtest.New(b, forum.Options{})
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO actors (kind, username, domain, ap_id, display_name, summary_html, url,
			inbox_url, shared_inbox_url, outbox_url, followers_url, public_key_id, public_key_pem, fetched_at)
		VALUES ('person', 'carol', 'remote.example', 'https://remote.example/users/carol', 'Carol', '<p>hi</p>',
			'https://remote.example/@carol', 'https://remote.example/users/carol/inbox', 'https://remote.example/inbox',
			'https://remote.example/users/carol/outbox', 'https://remote.example/users/carol/followers',
			'https://remote.example/users/carol#main-key', repeat('k', 450), now())`); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := f.ActorByKeyID(ctx, "https://remote.example/users/carol#main-key"); err != nil {
			b.Fatal(err)
		}
	}
}
