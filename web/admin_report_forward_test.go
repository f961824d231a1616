package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// Staff send a report about someone on another server on to that server, once; members cannot,
// and a report about a member here offers nothing to send.
func TestForwardingAReportFromTheQueue(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	ctx := context.Background()
	forumtest.Member(t, s.f, "molly", forum.RoleModerator)
	alice := forumtest.Member(t, s.f, "alice", forum.RoleMember)
	forumtest.Member(t, s.f, "bob", forum.RoleMember)
	zoe, err := s.f.UpsertRemoteActor(ctx, forum.RemoteActor{APID: "https://social.example/users/zoe", Kind: forum.ActorPerson,
		Username: "zoe", Domain: "social.example", InboxURL: "https://social.example/users/zoe/inbox",
		PublicKeyID: "https://social.example/users/zoe#main-key", PublicKeyPEM: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"})
	if err != nil {
		t.Fatal(err)
	}
	remote, err := s.f.FileReport(ctx, alice.Viewer(), forum.NewReport{Account: zoe.Handle(), Reason: "spam from afar"})
	if err != nil {
		t.Fatal(err)
	}
	local, err := s.f.FileReport(ctx, alice.Viewer(), forum.NewReport{Account: "bob", Reason: "spam from here"})
	if err != nil {
		t.Fatal(err)
	}

	member := s.browser()
	member.login("alice")
	wantStatus(t, member.post("/admin/reports/"+itoa(remote)+"/forward", url.Values{}), http.StatusForbidden)

	mod := s.browser()
	mod.login("molly")
	queue := mod.get("/admin/reports")
	forwardable := map[string]bool{}
	for _, r := range byTestID(queue.doc, "report") {
		forwardable[attr(r, "data-report-id")] = firstByTestID(r, "report-forward") != nil
	}
	if !forwardable[itoa(remote)] || forwardable[itoa(local)] {
		t.Fatalf("send buttons: %v (want only on report %d)", forwardable, remote)
	}
	wantStatus(t, mod.post("/admin/reports/"+itoa(local)+"/forward", url.Values{}), http.StatusUnprocessableEntity)
	for i := 0; i < 2; i++ { // sending twice is refused quietly: the Flag goes once
		wantStatus(t, mod.post("/admin/reports/"+itoa(remote)+"/forward", url.Values{}), http.StatusSeeOther)
	}
	queue = mod.get("/admin/reports?done=forwarded")
	if !queue.has("report-forwarded") || queue.has("report-forward") {
		t.Fatal("the queue does not show the report as sent")
	}
}
