package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/federation"
)

// docs/API.md's example thread gives the ap_id the API really emits: the id federation gives a
// thread (its page, which serves the thread's context collection), not something next to it.
func TestAPIDocThreadAPIDIsTheFederationID(t *testing.T) {
	doc, err := os.ReadFile("../../docs/API.md")
	if err != nil {
		t.Fatal(err)
	}
	ids := webIDs{iris: federation.MustIRIs("https://forum.example")}
	example := regexp.MustCompile(`"url": "https://forum\.example/t/12",\s*"ap_id": "([^"]*)"`).FindSubmatch(doc)
	if example == nil {
		t.Fatal("docs/API.md has no example thread 12 with a url and an ap_id")
	}
	if got, want := string(example[1]), ids.ThreadAPID(12); got != want {
		t.Errorf("docs/API.md's thread ap_id is %s; the API emits %s", got, want)
	}
	if strings.Contains(string(doc), "/context\"") {
		t.Error("docs/API.md still names a /context id")
	}
}
