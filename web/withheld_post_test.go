package web

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

// A reply from a server this forum suspends is withheld from readers: the page and the API give
// neither its words nor who wrote it nor where it came from, and say why it is empty (the API used
// to give it as a nameless local author's post, with the server's address as its origin).
func TestAPostOfASuspendedServerIsWithheldOnThePageAndInTheAPI(t *testing.T) {
	t.Parallel()
	fx := newWebFixtureWith(t, forum.Options{CanonicalHost: federation.CanonicalHost})
	th, opener := fx.thread(t, fx.alice, "Open to all", "b")
	far := remotePerson(t, fx.f, "social.example", "far")
	postID, _, err := fx.f.CreateRemotePost(fx.ctx, forum.RemotePost{APID: "https://social.example/notes/7",
		URL: "https://social.example/@far/7", AuthorID: far.ID, Published: time.Now(), InReplyToID: opener.ID,
		HTML: "<p>words from afar</p>"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.f.BlockDomain(fx.ctx, forumtest.Admin, forum.DomainBlockInput{Domain: "social.example", Severity: forum.SeveritySuspend}); err != nil {
		t.Fatal(err)
	}

	rec := fx.get(t, forum.Guest, "/t/"+itoa(th.ID))
	wantCode(t, rec, 200)
	if strings.Contains(rec.Body.String(), "social.example") || strings.Contains(rec.Body.String(), "words from afar") {
		t.Error("the thread page gives the suspended server's address or the post's words")
	}
	var post = one(t, doc(t, rec), "post-withheld")
	for p := post.Parent; p != nil; p = p.Parent {
		if attr(p, "data-testid") == "post" {
			post = p
			break
		}
	}
	if got := text(one(t, post, "post-author")); got != withheldAuthor {
		t.Errorf("the withheld post's author reads %q", got)
	}

	rec = fx.get(t, forum.Guest, "/api/v1/posts/"+itoa(postID))
	wantCode(t, rec, 200)
	var got struct {
		APID      string  `json:"ap_id"`
		BodyHTML  string  `json:"body_html"`
		Withheld  bool    `json:"withheld"`
		OriginURL *string `json:"origin_url"`
		Author    struct {
			Handle string `json:"handle"`
			APID   string `json:"ap_id"`
			Local  bool   `json:"local"`
		} `json:"author"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if !got.Withheld || got.BodyHTML != "" || got.OriginURL != nil || got.Author.Local || got.Author.Handle != "" || got.Author.APID != "" ||
		strings.Contains(rec.Body.String(), "social.example") {
		t.Errorf("the API's withheld post: %s", rec.Body.String())
	}
	// The thread's JSON (written by hand, not by encoding/json) says the same.
	rec = fx.get(t, forum.Guest, "/api/v1/threads/"+itoa(th.ID))
	if strings.Contains(rec.Body.String(), "social.example") || !strings.Contains(rec.Body.String(), `"withheld":true`) ||
		strings.Contains(rec.Body.String(), `"local":true,"name":""`) {
		t.Errorf("the thread's JSON gives the withheld post as: %s", rec.Body.String())
	}
}
