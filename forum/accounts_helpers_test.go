package forum_test

import (
	"context"
	"net/netip"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// queuedJobs records the jobs forum inserts through the Jobs hook.
type queuedJobs struct {
	mu   sync.Mutex
	args []forum.JobArgs
}

func (q *queuedJobs) InsertTx(_ context.Context, _ pgx.Tx, a forum.JobArgs) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.args = append(q.args, a)
	return nil
}

func (q *queuedJobs) mails() []forum.MailArgs {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []forum.MailArgs
	for _, a := range q.args {
		if m, ok := a.(forum.MailArgs); ok {
			out = append(out, m)
		}
	}
	return out
}

const testPassword = forumtest.Password

var testClient = forum.ClientInfo{IP: netip.MustParseAddr("198.51.100.7"), UserAgent: "TestBrowser/1.0"}

func login(t *testing.T, f *forum.Forum, username string) forum.NewSession {
	t.Helper()
	ns, err := f.Login(context.Background(), forum.LoginInput{Login: username, Password: testPassword, Client: testClient})
	if err != nil {
		t.Fatalf("login %s: %v", username, err)
	}
	return ns
}
