package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/net/html"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

const testPassword = forumtest.Password

// recordedJobs keeps the jobs forum queues, so tests can read the mails.
type recordedJobs struct {
	mu   sync.Mutex
	args []forum.JobArgs
}

func (j *recordedJobs) InsertTx(_ context.Context, _ pgx.Tx, a forum.JobArgs) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.args = append(j.args, a)
	return nil
}

func (j *recordedJobs) lastMail(t *testing.T) forum.MailArgs {
	t.Helper()
	j.mu.Lock()
	defer j.mu.Unlock()
	for i := len(j.args) - 1; i >= 0; i-- {
		if m, ok := j.args[i].(forum.MailArgs); ok {
			return m
		}
	}
	t.Fatal("no mail queued")
	return forum.MailArgs{}
}

// site is the real web handler over a forum on its own test database, served by httptest.
type site struct {
	t    *testing.T
	f    *forum.Forum
	pool *pgxpool.Pool
	jobs *recordedJobs
	srv  *httptest.Server
	url  *url.URL
}

type siteOption func(*Options)

func newSite(t *testing.T, opts ...siteOption) *site {
	t.Helper()
	jobs := &recordedJobs{}
	f, pool := forumtest.New(t, forum.Options{Jobs: jobs})
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	o := Options{Forum: f, PublicURL: u, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, fn := range opts {
		fn(&o)
	}
	h = New(o)
	return &site{t: t, f: f, pool: pool, jobs: jobs, srv: srv, url: u}
}

func trustProxies(cidrs ...string) siteOption {
	return func(o *Options) {
		for _, c := range cidrs {
			o.TrustedProxies = append(o.TrustedProxies, netip.MustParsePrefix(c))
		}
	}
}

// browser is a client with a cookie jar that does not follow redirects, so tests see them.
type browser struct {
	s *site
	c *http.Client
	// header is added to every request.
	header http.Header
}

func (s *site) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{s: s, header: http.Header{}, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// response is a finished request: status, headers, body and the body parsed as HTML.
type response struct {
	*http.Response
	body string
	doc  *html.Node
}

func (b *browser) do(req *http.Request) *response {
	b.s.t.Helper()
	for k, vs := range b.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.s.t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		b.s.t.Fatal(err)
	}
	return &response{Response: resp, body: string(body), doc: doc}
}

func (b *browser) get(path string) *response {
	b.s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.s.srv.URL+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) *response {
	b.s.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.s.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// upload posts one file in a multipart form, with the file name and type the client claims.
func (b *browser) upload(path, field, filename, contentType string, data []byte) *response {
	b.s.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{`form-data; name="` + field + `"; filename="` + filename + `"`}
	h["Content-Type"] = []string{contentType}
	part, err := mw.CreatePart(h)
	if err != nil {
		b.s.t.Fatal(err)
	}
	_, _ = part.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.s.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

// login signs the browser in through the form.
func (b *browser) login(username string) {
	b.s.t.Helper()
	r := b.post("/login", url.Values{"login": {username}, "password": {testPassword}})
	if r.StatusCode != http.StatusSeeOther {
		b.s.t.Fatalf("login %s: %d\n%s", username, r.StatusCode, r.body)
	}
}

func (b *browser) cookie(name string) *http.Cookie {
	for _, c := range b.c.Jar.Cookies(b.s.url) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (r *response) has(id string) bool { return firstByTestID(r.doc, id) != nil }

// text is the whitespace-collapsed text of the element with data-testid=id ("" if absent).
func (r *response) text(id string) string {
	n := firstByTestID(r.doc, id)
	if n == nil {
		return ""
	}
	return text(n)
}

func wantStatus(t *testing.T, r *response, status int) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d\n%s", r.Request.Method, r.Request.URL.Path, r.StatusCode, status, r.body)
	}
}

func mustPrefixes(ss ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

type nodeT = html.Node
