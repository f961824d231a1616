package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/internal/testdb"
)

// The served binary mounts federation: WebFinger, content-negotiated actor documents with the
// pages as fallback, /actor always as JSON, and NodeInfo.
func TestServeMountsFederation(t *testing.T) {
	t.Parallel()
	dbURL := testdb.NewURL(t)
	if code, out, stderr := run(t, map[string]string{"STOA_DATABASE_URL": dbURL, "STOA_SECRET_KEY": testSecret}, "admin", "demo"); code != 0 {
		t.Fatalf("demo: %d %s %s", code, out, stderr)
	}
	_, base, logs := startServe(t, dbURL)
	waitReady(t, base, logs)
	host := strings.TrimPrefix(base, "http://")

	get := func(path, accept string) (*http.Response, map[string]any) {
		t.Helper()
		r, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var doc map[string]any
		_ = json.Unmarshal(body, &doc)
		return resp, doc
	}

	resp, jrd := get("/.well-known/webfinger?resource=acct:demo_admin@"+host, "")
	if resp.StatusCode != 200 || jrd["subject"] != "acct:demo_admin@"+host {
		t.Fatalf("webfinger: %d %v", resp.StatusCode, jrd)
	}
	resp, person := get("/u/demo_admin", "application/activity+json")
	if resp.StatusCode != 200 || person["id"] != base+"/u/demo_admin" || person["type"] != "Person" ||
		resp.Header.Get("Content-Type") != "application/activity+json" {
		t.Fatalf("person: %d %q %v", resp.StatusCode, resp.Header.Get("Content-Type"), person)
	}
	resp, group := get("/c/general", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
	if resp.StatusCode != 200 || group["type"] != "Group" {
		t.Fatalf("group: %d %v", resp.StatusCode, group)
	}
	if resp, _ := get("/u/demo_admin", "text/html"); strings.Contains(resp.Header.Get("Content-Type"), "json") {
		t.Fatalf("a browser got %q", resp.Header.Get("Content-Type"))
	}
	// What federation has no document for goes back to the pages, through both routers.
	if resp, _ := get("/static/style.css", "application/activity+json"); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("AS request for a static file: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp, _ := get("/", "application/activity+json"); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("AS request for the home page: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, app := get("/actor", "text/html")
	if resp.StatusCode != 200 || app["type"] != "Application" {
		t.Fatalf("/actor: %d %v", resp.StatusCode, app)
	}
	resp, ni := get("/nodeinfo/2.1", "")
	if resp.StatusCode != 200 || ni["version"] != "2.1" {
		t.Fatalf("nodeinfo: %d %v", resp.StatusCode, ni)
	}
}
