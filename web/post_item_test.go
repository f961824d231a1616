package web

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

// The hand-written post writes exactly what the templ component it replaced wrote, for posts of
// every kind (local and remote authors, avatars good and bad, edited, in reply, from another
// server, unread, liked or not, hidden or deleted and shown to staff or redacted, text that needs
// escaping) read by viewers of every kind (a guest, a member, the author, a moderator, one who may
// not reply) in threads open, locked and deleted.
func TestHandWrittenPostItemMatchesTheTemplComponent(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("x", 3600))
	now := time.Now()
	parent := int64(17)
	base := forum.Post{ID: 4321, ThreadID: 42, AuthorID: 7, Position: 3, CreatedAt: at, LikeCount: 5,
		HTML:   `<p>Tom &amp; Jerry's "<b>best</b>" &gt; rest</p>`,
		Author: forum.Author{AuthorUsername: "alice", AuthorDisplayName: "Alice <A> & 'co' \"x\""}}
	posts := map[string]func(p *forum.Post){
		"plain":           func(*forum.Post) {},
		"no likes":        func(p *forum.Post) { p.LikeCount = 0 },
		"one like":        func(p *forum.Post) { p.LikeCount = 1 },
		"liked":           func(p *forum.Post) { p.Liked = true },
		"liked, one like": func(p *forum.Post) { p.Liked, p.LikeCount = true, 1 },
		"unread":          func(p *forum.Post) { p.Unread = true },
		"edited":          func(p *forum.Post) { p.EditedAt = &now },
		"in reply":        func(p *forum.Post) { p.InReplyToID = &parent },
		"hidden":          func(p *forum.Post) { p.HiddenAt = &now },
		"deleted":         func(p *forum.Post) { p.DeletedAt = &now },
		"hidden and deleted, unread": func(p *forum.Post) {
			p.HiddenAt, p.DeletedAt, p.Unread = &now, &now, true
		},
		"redacted hidden": func(p *forum.Post) { p.HiddenAt, p.Redacted, p.HTML, p.EditedAt = &now, true, "", &now },
		"redacted deleted": func(p *forum.Post) {
			p.DeletedAt, p.Redacted, p.HTML, p.InReplyToID = &now, true, "", &parent
		},
		"local avatar":    func(p *forum.Post) { p.AuthorAvatarURL = "/avatars/1.webp?v=3&x=<y>" },
		"bad avatar":      func(p *forum.Post) { p.AuthorAvatarURL = "javascript:alert(1)" },
		"no display name": func(p *forum.Post) { p.AuthorDisplayName = "" },
		"odd username":    func(p *forum.Post) { p.AuthorUsername, p.AuthorDisplayName = "a b/c&d", "" },
		"remote, with url": func(p *forum.Post) {
			p.AuthorDomain, p.AuthorAvatarURL = "lemmy.example", "https://lemmy.example/a.png?a=1&b='2'"
			p.APID, p.URL = "https://lemmy.example/ap/1", `https://lemmy.example/post/1?a=1&b="<2>"`
		},
		"remote, id only": func(p *forum.Post) {
			p.AuthorDomain, p.APID = "social.example", "https://social.example:8443/notes/1"
		},
		"remote, odd host": func(p *forum.Post) {
			p.AuthorDomain, p.APID = `a&b'c"<d>.example`, `https://a&b'c"<d>.example/notes/1?x=1&y=2`
		},
		"remote, bad links": func(p *forum.Post) {
			p.AuthorDomain, p.APID, p.URL = "bad.example", "javascript:alert(1)", "ftp://bad.example/x"
		},
		"remote, edited and liked": func(p *forum.Post) {
			p.AuthorDomain, p.APID, p.EditedAt, p.Liked = "lemmy.example", "https://lemmy.example/ap/2", &now, true
		},
		"unicode": func(p *forum.Post) {
			p.AuthorDisplayName, p.HTML = "Ünïcødé — ‘quotes’ \u2028", "<p>♥ \u2029 ✓</p>"
		},
		"withheld": func(p *forum.Post) {
			p.Redacted, p.Withheld, p.Author, p.HTML, p.APID = true, forum.LimitSuspend, forum.Author{AuthorWithheld: true}, "", "https://limited.example/p/1"
		},
		"everything": func(p *forum.Post) {
			p.Unread, p.EditedAt, p.InReplyToID, p.HiddenAt, p.Liked, p.AuthorAvatarURL = true, &now, &parent, &now, true, "/a.png"
		},
	}
	member := forum.Viewer{ActorID: 99, Username: "bob", Role: forum.RoleMember}
	author := forum.Viewer{ActorID: 7, Username: "alice", Role: forum.RoleMember}
	moderator := forum.Viewer{ActorID: 3, Username: "mod", Role: forum.RoleModerator}
	reply := forum.Permission{See: true, Start: true, Reply: true}
	staff := forum.Permission{See: true, Start: true, Reply: true, Moderate: true}
	viewers := map[string]func(v *threadView){
		"guest":            func(v *threadView) { v.Viewer, v.Thread.Can = forum.Guest, forum.Permission{See: true} },
		"member":           func(v *threadView) { v.Viewer, v.Thread.Can = member, reply },
		"member, no reply": func(v *threadView) { v.Viewer, v.Thread.Can = member, forum.Permission{See: true} },
		"author":           func(v *threadView) { v.Viewer, v.Thread.Can = author, reply },
		"author, locked":   func(v *threadView) { v.Viewer, v.Thread.Can, v.Thread.LockedAt = author, reply, &now },
		"member, deleted thread": func(v *threadView) {
			v.Viewer, v.Thread.Can, v.Thread.DeletedAt = member, reply, &now
		},
		"moderator":         func(v *threadView) { v.Viewer, v.Thread.Can = moderator, staff },
		"moderator, locked": func(v *threadView) { v.Viewer, v.Thread.Can, v.Thread.LockedAt = moderator, staff, &now },
		// A deleted thread's page has no moderation form (threadTools) for the posts' buttons.
		"moderator, deleted thread": func(v *threadView) {
			v.Viewer, v.Thread.Can, v.Thread.DeletedAt = moderator, staff, &now
		},
		"moderator, own post in a locked thread": func(v *threadView) {
			v.Viewer, v.Thread.Can, v.Thread.LockedAt = forum.Viewer{ActorID: 7, Role: forum.RoleModerator}, staff, &now
		},
	}
	var compared int
	var rendered strings.Builder // every case's output, to check that the cases reach every branch
	for vname, changeView := range viewers {
		v := threadView{ThreadPage: forum.ThreadPage{Thread: forum.ThreadView{Thread: forum.Thread{ID: 42, Title: "T"}}}}
		changeView(&v)
		var all []forum.Post
		for pname, changePost := range posts {
			p := base
			changePost(&p)
			all = append(all, p)
			var want, got bytes.Buffer
			if err := postItemTempl(v, p).Render(context.Background(), &want); err != nil {
				t.Fatal(err)
			}
			if err := postItem(v, p).Render(context.Background(), &got); err != nil {
				t.Fatal(err)
			}
			rendered.WriteString(want.String())
			if got.String() != want.String() {
				t.Errorf("%s, post %s:\nwant %s\ngot  %s", vname, pname, want.String(), got.String())
			}
			compared++
		}
		// The page's list writes every post the same way, one after another.
		v.Posts = all
		var want, got bytes.Buffer
		for _, p := range all {
			if err := postItemTempl(v, p).Render(context.Background(), &want); err != nil {
				t.Fatal(err)
			}
		}
		if err := postItems(v).Render(context.Background(), &got); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%s: the list of %d posts differs from the components one by one", vname, len(all))
		}
	}
	// A reply to a post on the same page names its author and links within the page; the
	// cases above reply to a post elsewhere.
	answer := base
	answer.ID, answer.InReplyToID, answer.AuthorDisplayName = 4322, &base.ID, "Bob"
	page := threadView{ThreadPage: forum.ThreadPage{Thread: forum.ThreadView{Thread: forum.Thread{ID: 42, Title: "T"}},
		Posts: []forum.Post{base, answer}}}
	var want, got bytes.Buffer
	for _, p := range page.Posts {
		if err := postItemTempl(page, p).Render(context.Background(), &want); err != nil {
			t.Fatal(err)
		}
	}
	if err := postItems(page).Render(context.Background(), &got); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() || !strings.Contains(got.String(), `href="#p4321">in reply to Alice &lt;A&gt; &amp; &#39;co&#39; &#34;x&#34;</a>`) {
		t.Errorf("a reply to a post on the page:\nwant %s\ngot  %s", want.String(), got.String())
	}
	if compared != len(posts)*len(viewers) {
		t.Fatalf("compared %d posts, want %d", compared, len(posts)*len(viewers))
	}
	for _, marker := range []string{"unread-marker", "author-avatar", "author-handle", `data-testid="edited"`, "in-reply-to",
		"post-origin", "This post was deleted.", "This post was hidden by a moderator.", "Deleted; only staff see this.",
		"Hidden by a moderator.", `aria-pressed="true"`, `aria-pressed="false"`, `class="likes"`, `data-testid="quote"`,
		`data-testid="reply-to"`, `data-testid="edit"`, `data-testid="report"`, `data-testid="delete"`,
		`data-testid="hide-post"`, `data-testid="unhide-post"`, `class="post deleted hidden unread"`,
		`data-testid="post-withheld"`, `<span class="author" data-testid="post-author">an account on a limited server</span>`,
		`form="mod-form" formaction="/p/4321/hide"`, `form="mod-form" formaction="/p/4321/unhide"`,
		`form="mod-form" formaction="/p/4321/delete"`, `class="inline"><button type="submit" class="link" data-testid="hide-post"`} {
		if !strings.Contains(rendered.String(), marker) {
			t.Errorf("no case renders %s", marker)
		}
	}
}
