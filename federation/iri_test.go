package federation

import (
	"testing"

	"github.com/stoa-forum/stoa/forum"
)

func TestIRIsDeriveEveryLocalID(t *testing.T) {
	t.Parallel()
	i := MustIRIs("https://Forum.Example")
	cases := map[string]string{
		i.Instance():         "https://forum.example/actor",
		i.SharedInbox():      "https://forum.example/inbox",
		i.Member("alice"):    "https://forum.example/u/alice",
		i.Category("meta"):   "https://forum.example/c/meta",
		i.ThreadActor(12):    "https://forum.example/t/12/actor",
		i.Thread(12):         "https://forum.example/t/12",
		i.ThreadHistory(12):  "https://forum.example/t/12/history",
		i.Post(7):            "https://forum.example/p/7",
		i.PostReplies(7):     "https://forum.example/p/7/replies",
		i.Activity(99):       "https://forum.example/activities/99",
		KeyID(i.Member("a")): "https://forum.example/u/a#main-key",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	if i.Host() != "forum.example" {
		t.Errorf("Host() = %q", i.Host())
	}
	dev := MustIRIs("http://localhost:8080")
	if dev.Member("a") != "http://localhost:8080/u/a" || dev.Host() != "localhost:8080" {
		t.Errorf("dev ids: %q, host %q", dev.Member("a"), dev.Host())
	}
	ids, err := i.Actor(forum.Actor{ID: 3, Kind: forum.ActorGroup, Username: "meta"})
	if err != nil || ids.Moderators != "https://forum.example/c/meta/moderators" || ids.Featured != "https://forum.example/c/meta/featured" ||
		ids.Followers != "https://forum.example/c/meta/followers" || ids.KeyID != "https://forum.example/c/meta#main-key" {
		t.Errorf("group ids %+v, %v", ids, err)
	}
	ids, err = i.Actor(forum.Actor{ID: 4, Kind: forum.ActorThread, Username: forum.ThreadActorUsername(12)})
	if err != nil || ids.ID != "https://forum.example/t/12/actor" || ids.Inbox != "https://forum.example/t/12/actor/inbox" || ids.Moderators != "" {
		t.Errorf("thread ids %+v, %v", ids, err)
	}
	if _, err := i.Actor(forum.Actor{ID: 5, Kind: forum.ActorPerson, Username: "x", Domain: "remote.example"}); err == nil {
		t.Error("a remote actor has no derived ids")
	}
}

func TestIRIsParseRoundTrip(t *testing.T) {
	t.Parallel()
	i := MustIRIs("https://forum.example")
	cases := map[string]Ref{
		i.Instance():                        {Kind: RefInstance},
		i.Instance() + "/outbox":            {Kind: RefInstance, Collection: "outbox"},
		KeyID(i.Instance()):                 {Kind: RefInstance, Key: true},
		i.SharedInbox():                     {Kind: RefSharedInbox},
		i.Member("alice"):                   {Kind: RefMember, Name: "alice"},
		"https://FORUM.example/u/Alice":     {Kind: RefMember, Name: "alice"},
		"https://forum.example:443/u/alice": {Kind: RefMember, Name: "alice"},
		i.Member("alice") + "/followers":    {Kind: RefMember, Name: "alice", Collection: "followers"},
		KeyID(i.Member("alice")):            {Kind: RefMember, Name: "alice", Key: true},
		i.Category("meta") + "/moderators":  {Kind: RefCategory, Name: "meta", Collection: "moderators"},
		i.Category("meta") + "/featured":    {Kind: RefCategory, Name: "meta", Collection: "featured"},
		i.ThreadActor(12):                   {Kind: RefThreadActor, ID: 12},
		i.ThreadActor(12) + "/inbox":        {Kind: RefThreadActor, ID: 12, Collection: "inbox"},
		KeyID(i.ThreadActor(12)):            {Kind: RefThreadActor, ID: 12, Key: true},
		i.Thread(12):                        {Kind: RefThread, ID: 12},
		i.ThreadHistory(12):                 {Kind: RefThreadHistory, ID: 12},
		i.Post(7):                           {Kind: RefPost, ID: 7},
		i.PostReplies(7):                    {Kind: RefPostReplies, ID: 7},
		i.Activity(99):                      {Kind: RefActivity, ID: 99},
	}
	for iri, want := range cases {
		got, ok := i.Parse(iri)
		if !ok || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", iri, got, ok, want)
		}
		if !i.IsLocal(iri) {
			t.Errorf("IsLocal(%q) = false", iri)
		}
	}
	notOurs := []string{
		"https://other.example/u/alice", "http://forum.example/u/alice", "https://forum.example:8443/u/alice",
		"https://forum.example/u/alice?x=1", "https://forum.example/u/alice#other", "https://forum.example/u/al%69ce",
		"https://forum.example/u/alice/inbox/x", "https://forum.example/c/meta/featured#main-key",
		"https://forum.example/u/alice/moderators", "https://forum.example/t/012", "https://forum.example/t/-1",
		"https://forum.example/t/1/actor/moderators", "https://forum.example/p/7#main-key", "https://forum.example/",
		"https://forum.example/u/", "https://forum.example/u/al-ice", "https://forum.example/t/99999999999999999999",
		"https://forum.example/static/app.js", "not a url",
	}
	for _, iri := range notOurs {
		if got, ok := i.Parse(iri); ok {
			t.Errorf("Parse(%q) = %+v, want not ours", iri, got)
		}
	}
	if i.IsLocal("https://other.example/u/alice") || !i.IsLocal("https://forum.example/anything?at=all") {
		t.Error("IsLocal must judge the origin only")
	}
}

func TestAbsoluteMakesLocalPathsAbsolute(t *testing.T) {
	i := MustIRIs("https://forum.example")
	cases := map[string]string{
		"/avatars/abc.png":          "https://forum.example/avatars/abc.png",
		"https://cdn.example/a.png": "https://cdn.example/a.png",
		"":                          "",
		"//evil.example/a.png":      "//evil.example/a.png",
	}
	for in, want := range cases {
		if got := i.Absolute(in); got != want {
			t.Errorf("Absolute(%q) = %q, want %q", in, got, want)
		}
	}
}
