package e2e

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/stoa-forum/stoa/internal/stoaproc"
)

// webSession is a member signed in to an instance's HTML pages (a cookie session), for the actions
// that have a page and no JSON API: reports, the moderation queue, thread moderation.
type webSession struct {
	t    *testing.T
	base string
	http *http.Client
}

// signIn signs a member in through the sign-in form.
func signIn(t *testing.T, c *stoaproc.Cluster, in *stoaproc.Instance, username string) webSession {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := c.Client()
	client.Jar = jar
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s := webSession{t: t, base: in.URL, http: client}
	status, body := s.post("/login", url.Values{"login": {username}, "password": {username + "'s long password"}})
	if status != http.StatusSeeOther {
		t.Fatalf("sign in as %s on %s: %d %s", username, in.URL, status, body)
	}
	return s
}

// post submits a form and returns the status and body (redirects are not followed).
func (s webSession) post(path string, form url.Values) (int, string) {
	s.t.Helper()
	resp, err := s.http.Post(s.base+path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		s.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// get fetches a page and returns the status and body.
func (s webSession) get(path string) (int, string) {
	s.t.Helper()
	resp, err := s.http.Get(s.base + path)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
