package federation

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
)

func decodeActorFixture(t *testing.T, name string) forum.RemoteActor {
	t.Helper()
	a, err := DecodeActor(readFixture(t, "peers/"+name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return a
}

func TestDecodeActorsOfEveryPeer(t *testing.T) {
	t.Parallel()
	pemA, pemB := publicPEM(t, "remote-a"), publicPEM(t, "remote-b")
	cases := map[string]forum.RemoteActor{
		"mastodon-person.json": {APID: "https://mastodon.example/users/ada", Kind: forum.ActorPerson, Username: "Ada",
			Domain: "mastodon.example", DisplayName: "Ada Lovelace :verified:", SummaryHTML: "<p>Counting engines.</p>",
			URL: "https://mastodon.example/@Ada", AvatarURL: "https://files.mastodon.example/avatars/ada.png",
			InboxURL: "https://mastodon.example/users/ada/inbox", SharedInboxURL: "https://mastodon.example/inbox",
			OutboxURL: "https://mastodon.example/users/ada/outbox", FollowersURL: "https://mastodon.example/users/ada/followers",
			FollowingURL: "https://mastodon.example/users/ada/following", FeaturedURL: "https://mastodon.example/users/ada/collections/featured",
			PublicKeyID: "https://mastodon.example/users/ada#main-key", PublicKeyPEM: pemA, Discoverable: true,
			AlsoKnownAs: []string{"https://old.example/users/ada"}},
		"gotosocial-person.json": {APID: "https://gts.example/users/carol", Kind: forum.ActorPerson, Username: "carol",
			Domain: "gts.example", DisplayName: "carol", URL: "https://gts.example/@carol",
			InboxURL: "https://gts.example/users/carol/inbox", OutboxURL: "https://gts.example/users/carol/outbox",
			FollowersURL: "https://gts.example/users/carol/followers", FollowingURL: "https://gts.example/users/carol/following",
			FeaturedURL: "https://gts.example/users/carol/collections/featured", PublicKeyID: "https://gts.example/users/carol/main-key",
			PublicKeyPEM: pemA, ManuallyApprovesFollowers: true},
		"lemmy-group.json": {APID: "https://lemmy.example/c/woodworking", Kind: forum.ActorGroup, Username: "woodworking",
			Domain: "lemmy.example", DisplayName: "Woodworking", SummaryHTML: "<p>Joinery, finishes and sharp tools.</p>\n",
			AvatarURL: "https://lemmy.example/pictrs/image/wood.webp", InboxURL: "https://lemmy.example/c/woodworking/inbox",
			SharedInboxURL: "https://lemmy.example/inbox", OutboxURL: "https://lemmy.example/c/woodworking/outbox",
			FollowersURL: "https://lemmy.example/c/woodworking/followers", FeaturedURL: "https://lemmy.example/c/woodworking/featured",
			PublicKeyID: "https://lemmy.example/c/woodworking#main-key", PublicKeyPEM: pemB},
		"nodebb-group.json": {APID: "https://nodebb.example/category/2", Kind: forum.ActorGroup, Username: "general",
			Domain: "nodebb.example", DisplayName: "General Discussion", SummaryHTML: "<p>Talk about whatever you want</p>",
			URL: "https://nodebb.example/category/2/general-discussion", AvatarURL: "https://nodebb.example/assets/uploads/category/category-2-icon.png",
			InboxURL: "https://nodebb.example/category/2/inbox", SharedInboxURL: "https://nodebb.example/inbox",
			OutboxURL: "https://nodebb.example/category/2/outbox", PublicKeyID: "https://nodebb.example/category/2#key", PublicKeyPEM: pemB},
		"misskey-person.json": {APID: "https://misskey.example/users/9xyzabc123", Kind: forum.ActorPerson, Username: "neko",
			Domain: "misskey.example", DisplayName: "Neko", SummaryHTML: "<p><span>nya</span></p>", URL: "https://misskey.example/@neko",
			AvatarURL: "https://misskey.example/files/avatar.webp", InboxURL: "https://misskey.example/users/9xyzabc123/inbox",
			SharedInboxURL: "https://misskey.example/inbox", OutboxURL: "https://misskey.example/users/9xyzabc123/outbox",
			FollowersURL: "https://misskey.example/users/9xyzabc123/followers", FollowingURL: "https://misskey.example/users/9xyzabc123/following",
			FeaturedURL: "https://misskey.example/users/9xyzabc123/collections/featured",
			PublicKeyID: "https://misskey.example/users/9xyzabc123#main-key", PublicKeyPEM: pemB, Discoverable: true},
		"discourse-group.json": {APID: "https://discourse.example/ap/actor/5b0f1d6e8f5a4c2e9a1b3c4d5e6f7a8b", Kind: forum.ActorGroup,
			Username: "fediverse", Domain: "discourse.example", DisplayName: "Fediverse Futures",
			SummaryHTML: "Forum category about the fediverse", URL: "https://discourse.example/c/fediverse/8",
			AvatarURL:    "https://discourse.example/uploads/logo.png",
			InboxURL:     "https://discourse.example/ap/actor/5b0f1d6e8f5a4c2e9a1b3c4d5e6f7a8b/inbox",
			OutboxURL:    "https://discourse.example/ap/actor/5b0f1d6e8f5a4c2e9a1b3c4d5e6f7a8b/outbox",
			FollowersURL: "https://discourse.example/ap/actor/5b0f1d6e8f5a4c2e9a1b3c4d5e6f7a8b/followers",
			PublicKeyID:  "https://discourse.example/ap/actor/5b0f1d6e8f5a4c2e9a1b3c4d5e6f7a8b#main-key", PublicKeyPEM: pemB},
	}
	for name, want := range cases {
		got := decodeActorFixture(t, name)
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
	}
}

// SECURITY.md rule 2, at the decoder: an actor whose inbox, key or collections are on another
// origin is refused; a shared inbox elsewhere is dropped.
func TestRule02DecodeActorRefusesForeignEndpoints(t *testing.T) {
	t.Parallel()
	if _, err := DecodeActor(readFixture(t, "peers/wrong-origin-inbox.json")); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "inbox") {
		t.Fatalf("inbox on another origin: %v", err)
	}
	base := string(readFixture(t, "peers/mastodon-person.json"))
	edits := map[string][2]string{
		"key on another origin":   {`"id": "https://mastodon.example/users/ada#main-key"`, `"id": "https://other.example/users/ada#main-key"`},
		"key owned by another":    {`"owner": "https://mastodon.example/users/ada"`, `"owner": "https://mastodon.example/users/eve"`},
		"outbox elsewhere":        {`"outbox": "https://mastodon.example/users/ada/outbox"`, `"outbox": "https://other.example/outbox"`},
		"followers over http":     {`"followers": "https://mastodon.example/users/ada/followers"`, `"followers": "http://mastodon.example/users/ada/followers"`},
		"no preferredUsername":    {`"preferredUsername": "Ada",`, ``},
		"not a key":               {`-----BEGIN PUBLIC KEY-----`, `-----BEGIN CERTIFICATE-----`},
		"id with user info":       {`"id": "https://mastodon.example/users/ada",`, `"id": "https://x@mastodon.example/users/ada",`},
		"id with an invalid host": {`"id": "https://mastodon.example/users/ada",`, `"id": "https://mastodon.example:0/users/ada",`},
	}
	for name, e := range edits {
		doc := strings.Replace(base, e[0], e[1], 1)
		if doc == base {
			t.Fatalf("%s: edit did not apply", name)
		}
		if a, err := DecodeActor([]byte(doc)); err == nil {
			t.Errorf("%s: accepted as %s", name, a.APID)
		}
	}
	doc := strings.Replace(base, `"sharedInbox": "https://mastodon.example/inbox"`, `"sharedInbox": "https://victim.example/inbox"`, 1)
	a, err := DecodeActor([]byte(doc))
	if err != nil || a.SharedInboxURL != "" {
		t.Fatalf("foreign shared inbox: %q, %v; want it dropped", a.SharedInboxURL, err)
	}
	if _, err := DecodeActor(readFixture(t, "peers/nodebb-article.json")); !errors.Is(err, ErrUnsupportedObject) {
		t.Fatalf("an Article is not an actor: %v", err)
	}
}

func TestDecodeObjectsOfEveryPeer(t *testing.T) {
	t.Parallel()
	note, err := DecodeObject(readFixture(t, "peers/mastodon-note-reply.json"))
	if err != nil {
		t.Fatal(err)
	}
	if note.Type != "Note" || note.AttributedTo != "https://mastodon.example/users/ada" || note.InReplyTo != "https://forum.example/p/41" ||
		!note.Sensitive || note.Summary != "spoilers" || !strings.HasPrefix(note.Content, `<p><span class="h-card">`) ||
		note.URL != "https://mastodon.example/@Ada/113000000000000001" ||
		note.Replies != "https://mastodon.example/users/ada/statuses/113000000000000001/replies" ||
		!note.Published.Equal(time.Date(2026, 11, 20, 10, 11, 12, 0, time.UTC)) ||
		len(note.To) != 1 || note.To[0] != "https://www.w3.org/ns/activitystreams#Public" || len(note.CC) != 2 {
		t.Errorf("mastodon note: %+v", note)
	}
	if len(note.Mentions) != 1 || note.Mentions[0] != (Mention{Href: "https://forum.example/u/alice", Name: "@alice@forum.example"}) ||
		len(note.Hashtags) != 1 || note.Hashtags[0] != (Hashtag{Href: "https://mastodon.example/tags/woodworking", Name: "#woodworking"}) {
		t.Errorf("mastodon tags: %+v %+v", note.Mentions, note.Hashtags)
	}
	if len(note.Attachments) != 1 || note.Attachments[0] != (Attachment{Type: "Document", URL: "https://files.mastodon.example/media/dovetail.jpg",
		MediaType: "image/jpeg", Name: "A hand-cut dovetail joint", Width: 1200, Height: 800, Blurhash: "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH"}) {
		t.Errorf("mastodon attachment: %+v", note.Attachments)
	}

	page, err := DecodeObject(readFixture(t, "peers/lemmy-page.json"))
	if err != nil {
		t.Fatal(err)
	}
	if page.Type != "Page" || page.Name != "Which saw for dovetails?" || page.Context != "https://lemmy.example/post/55143/context" ||
		len(page.Audience) != 1 || page.Audience[0] != "https://lemmy.example/c/woodworking" ||
		page.Source == nil || *page.Source != (Source{Content: "Western or Japanese?", MediaType: "text/markdown"}) ||
		len(page.Attachments) != 1 || page.Attachments[0].Type != "Link" || page.Attachments[0].URL != "https://lemmy.example/pictrs/image/saw.png" ||
		len(page.Mentions) != 1 || page.Mentions[0].Href != "https://lemmy.example/c/woodworking" || page.InReplyTo != "" {
		t.Errorf("lemmy page: %+v", page)
	}

	article, err := DecodeObject(readFixture(t, "peers/nodebb-article.json"))
	if err != nil {
		t.Fatal(err)
	}
	if article.Type != "Article" || article.Name != "Welcome to your NodeBB!" || article.Context != "https://nodebb.example/topic/1" ||
		article.InReplyTo != "" || !article.Updated.IsZero() || article.Replies != "https://nodebb.example/post/1/replies" ||
		!strings.Contains(article.Summary, "Welcome!") || article.Source.MediaType != "text/markdown" {
		t.Errorf("nodebb article: %+v", article)
	}
	if _, err := DecodeObject(readFixture(t, "peers/peertube-video.json")); !errors.Is(err, ErrUnsupportedObject) {
		t.Errorf("video: %v, want ErrUnsupportedObject", err)
	}
}

func TestDecodeActivitiesOfEveryPeer(t *testing.T) {
	t.Parallel()
	flag, err := DecodeActivity(readFixture(t, "peers/mastodon-flag.json"))
	if err != nil {
		t.Fatal(err)
	}
	if flag.Type != "Flag" || !flag.Supported || flag.Actor != "https://mastodon.example/actor" || len(flag.Object) != 3 ||
		flag.Object[0].ID != "https://forum.example/u/spammer" || flag.Object[2].Embedded() || flag.Content != "Spam in this thread" ||
		len(flag.To) != 1 || flag.To[0] != "https://forum.example/u/spammer" {
		t.Errorf("flag: %+v", flag)
	}
	if _, ok := flag.FirstObject(); ok {
		t.Error("a Flag of three objects has no single object")
	}

	ann, err := DecodeActivity(readFixture(t, "peers/lemmy-announce-create-page.json"))
	if err != nil {
		t.Fatal(err)
	}
	inner, ok := ann.FirstObject()
	if ann.Type != "Announce" || !ok || !inner.Embedded() || inner.Type != "Create" ||
		inner.ID != "https://lemmy.example/activities/create/eee6a57a-622f-464d-b560-73ae1fcd3ddf" {
		t.Fatalf("lemmy announce: %+v", ann)
	}
	create, err := DecodeActivity(inner.Raw)
	if err != nil {
		t.Fatal(err)
	}
	obj, _ := create.FirstObject()
	post, err := DecodeObject(obj.Raw)
	if err != nil || post.Name != "Which saw for dovetails?" || create.Actor != "https://lemmy.example/u/picard" ||
		len(create.Audience) != 1 {
		t.Errorf("announced create: %+v / %+v, %v", create, post, err)
	}

	nb, err := DecodeActivity(readFixture(t, "peers/nodebb-announce-note.json"))
	if err != nil {
		t.Fatal(err)
	}
	nbObj, _ := nb.FirstObject()
	nbNote, err := DecodeObject(nbObj.Raw)
	if err != nil || nbNote.Context != "https://nodebb.example/topic/18591" || nbNote.Name != "Long-formers Activate!" ||
		len(nbNote.Hashtags) != 2 || nbNote.Attachments[0].Name != "Four people at FOSDEM" || nbNote.Summary != "" {
		t.Errorf("nodebb announced note (context as object): %+v, %v", nbNote, err)
	}

	gts, err := DecodeActivity(readFixture(t, "peers/gotosocial-create-note-single-tag.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(gts.To) != 1 || len(gts.CC) != 1 || gts.CC[0] != "https://gts.example/users/carol/followers" {
		t.Errorf("gts addressing: to %v cc %v", gts.To, gts.CC)
	}
	gtsObj, _ := gts.FirstObject()
	gtsNote, err := DecodeObject(gtsObj.Raw)
	if err != nil || len(gtsNote.Mentions) != 1 || gtsNote.Mentions[0].Href != "https://forum.example/u/alice" || gtsNote.Summary != "" {
		t.Errorf("gts note with a single tag object: %+v, %v", gtsNote, err)
	}

	boost, err := DecodeActivity(readFixture(t, "peers/gotosocial-announce.json"))
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := boost.FirstObject(); !ok || o.Embedded() || o.ID != "https://forum.example/p/42" {
		t.Errorf("gts announce of an IRI: %+v", boost.Object)
	}

	del, err := DecodeActivity(readFixture(t, "peers/mastodon-delete-tombstone.json"))
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := del.FirstObject(); o.Type != "Tombstone" || o.ID != "https://mastodon.example/users/ada/statuses/113000000000000001" {
		t.Errorf("delete: %+v", del.Object)
	}

	dc, err := DecodeActivity(readFixture(t, "peers/discourse-create-note.json"))
	if err != nil {
		t.Fatal(err)
	}
	dcObj, _ := dc.FirstObject()
	dcNote, err := DecodeObject(dcObj.Raw)
	if err != nil || dcNote.URL != "https://discourse.example/t/forums/99/2" || dcNote.Updated.IsZero() ||
		dcNote.InReplyTo != "https://discourse.example/ap/object/000111222333" {
		t.Errorf("discourse note with a Link url: %+v, %v", dcNote, err)
	}
}

func TestDecodeActivityUnknownTypesArePolitelyUnsupported(t *testing.T) {
	t.Parallel()
	a, err := DecodeActivity(readFixture(t, "peers/misskey-emoji-react.json"))
	if err != nil {
		t.Fatalf("an unknown type is not an error: %v", err)
	}
	if a.Supported || a.Type != "EmojiReact" || a.Actor != "https://misskey.example/users/9xyzabc123" {
		t.Fatalf("emoji react: %+v", a)
	}
	// A type array picks the type Stoa knows.
	a, err = DecodeActivity([]byte(`{"id":"https://a.example/1","type":["http://example.org/Custom","Like"],"actor":"https://a.example/u","object":"https://forum.example/p/1"}`))
	if err != nil || a.Type != "Like" || !a.Supported {
		t.Fatalf("type array: %+v, %v", a, err)
	}
}

// SECURITY.md rule 16: nesting depth and list lengths are capped; broken input is a clear error.
func TestRule16DecoderLimits(t *testing.T) {
	t.Parallel()
	deep := `{"id":"https://a.example/1","type":"Create","actor":"https://a.example/u","object":` +
		strings.Repeat(`{"a":`, MaxJSONDepth) + `1` + strings.Repeat(`}`, MaxJSONDepth) + `}`
	list := func(field string, n int) string {
		items := make([]string, n)
		for i := range items {
			items[i] = fmt.Sprintf(`"https://a.example/u/%d"`, i)
		}
		doc := `{"id":"https://a.example/1","type":"Create","actor":"https://a.example/u","` + field + `":[` + strings.Join(items, ",") + `]`
		if field != "object" {
			doc += `,"object":"https://a.example/n/1"`
		}
		return doc + `}`
	}
	bad := map[string]string{
		"too deep":             deep,
		"too many to":          list("to", MaxAddressees+1),
		"too many cc":          list("cc", MaxAddressees+1),
		"too many objects":     list("object", MaxObjectsInList+1),
		"not JSON":             `{"id":`,
		"not an object":        `["Create"]`,
		"no id":                `{"type":"Create","actor":"https://a.example/u"}`,
		"no type":              `{"id":"https://a.example/1","actor":"https://a.example/u"}`,
		"no actor":             `{"id":"https://a.example/1","type":"Create"}`,
		"two actors":           `{"id":"https://a.example/1","type":"Create","actor":["https://a.example/u","https://b.example/u"]}`,
		"relative id":          `{"id":"/1","type":"Create","actor":"https://a.example/u"}`,
		"javascript actor":     `{"id":"https://a.example/1","type":"Create","actor":"javascript:alert(1)"}`,
		"bad published":        `{"id":"https://a.example/1","type":"Create","actor":"https://a.example/u","published":"yesterday"}`,
		"object is a number":   `{"id":"https://a.example/1","type":"Create","actor":"https://a.example/u","object":5}`,
		"type is a number":     `{"id":"https://a.example/1","type":5,"actor":"https://a.example/u"}`,
		"to is a list of ints": `{"id":"https://a.example/1","type":"Create","actor":"https://a.example/u","to":[1]}`,
		"create of nothing":    `{"id":"https://a.example/1","type":"Create","actor":"https://a.example/u","to":["https://www.w3.org/ns/activitystreams#Public"]}`,
		"like of nothing":      `{"id":"https://a.example/1","type":"Like","actor":"https://a.example/u","object":[]}`,
		"object without id":    `{"id":"https://a.example/1","type":"Create","actor":"https://a.example/u","object":{"type":"Note","content":"hi"}}`,
	}
	for name, doc := range bad {
		if a, err := DecodeActivity([]byte(doc)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %+v, %v; want ErrMalformed", name, a.Type, err)
		}
	}
	if _, err := DecodeActivity([]byte(list("to", MaxAddressees))); err != nil {
		t.Errorf("exactly %d addressees: %v", MaxAddressees, err)
	}
	tags := make([]string, MaxTags+1)
	for i := range tags {
		tags[i] = `{"type":"Hashtag","name":"#t"}`
	}
	note := `{"id":"https://a.example/n","type":"Note","attributedTo":"https://a.example/u","tag":[` + strings.Join(tags, ",") + `]}`
	if _, err := DecodeObject([]byte(note)); !errors.Is(err, ErrMalformed) {
		t.Errorf("%d tags: %v", MaxTags+1, err)
	}
	atts := make([]string, MaxAttachments+1)
	for i := range atts {
		atts[i] = `{"type":"Document","url":"https://a.example/f.png"}`
	}
	note = `{"id":"https://a.example/n","type":"Note","attributedTo":"https://a.example/u","attachment":[` + strings.Join(atts, ",") + `]}`
	if _, err := DecodeObject([]byte(note)); !errors.Is(err, ErrMalformed) {
		t.Errorf("%d attachments: %v", MaxAttachments+1, err)
	}
	if _, err := DecodeObject([]byte(`{"id":"https://a.example/n","type":"Note"}`)); !errors.Is(err, ErrMalformed) {
		t.Errorf("note without author: %v", err)
	}
}

func FuzzDecodeActivity(f *testing.F) {
	for _, name := range []string{"mastodon-flag.json", "lemmy-announce-create-page.json", "nodebb-announce-note.json",
		"gotosocial-create-note-single-tag.json", "misskey-emoji-react.json"} {
		f.Add(readFixture(f, "peers/"+name))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := DecodeActivity(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if a.ID == "" || a.Type == "" || a.Actor == "" || len(a.To) > MaxAddressees || len(a.CC) > MaxAddressees || len(a.Object) > MaxObjectsInList {
			t.Fatalf("accepted an envelope that breaks the rules: %+v", a)
		}
		for _, o := range a.Object {
			if o.Embedded() {
				_, _ = DecodeObject(o.Raw)
				_, _ = DecodeActor(o.Raw)
			}
		}
	})
}
