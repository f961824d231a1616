package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/forumtest"
)

func TestRegisterLoginSettingsLogout(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	b := s.browser()

	home := b.get("/")
	wantStatus(t, home, http.StatusOK)
	if !home.has("nav-login") || !home.has("nav-register") || home.has("nav-logout") {
		t.Fatalf("guest header:\n%s", home.text("account-nav"))
	}
	wantStatus(t, b.get("/register"), http.StatusOK)

	// A bad form comes back with the problems and with what was typed.
	bad := b.post("/register", url.Values{"username": {"Bad Name"}, "email": {"ann@example.test"}, "password": {"short"}})
	wantStatus(t, bad, http.StatusUnprocessableEntity)
	if !bad.has("problem-username") || !bad.has("problem-password") || !strings.Contains(bad.body, `value="ann@example.test"`) {
		t.Fatalf("bad registration page:\n%s", bad.body)
	}

	r := b.post("/register", url.Values{"username": {"Ann"}, "email": {"ann@example.test"}, "password": {"a long enough password"}})
	wantStatus(t, r, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); loc != "/u/ann" {
		t.Fatalf("after registering: Location %q", loc)
	}
	var c *http.Cookie
	for _, ck := range r.Cookies() {
		if ck.Name == "stoa_session" {
			c = ck
		}
	}
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || c.Path != "/" {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure on http", c)
	}

	me := b.get("/")
	if me.text("nav-me") != "ann" || !me.has("nav-settings") || !me.has("nav-logout") || me.has("nav-admin") || me.has("nav-login") {
		t.Fatalf("member header: %q", me.text("account-nav"))
	}
	if cc := me.Header.Get("Cache-Control"); !strings.Contains(cc, "private") {
		t.Fatalf("a signed-in page is cacheable: %q", cc)
	}
	for _, path := range []string{"/settings/profile", "/settings/password", "/settings/email", "/settings/sessions", "/settings/tokens", "/u/ann"} {
		wantStatus(t, b.get(path), http.StatusOK)
	}
	if got := b.get("/settings/email").text("current-email"); got != "ann@example.test" {
		t.Fatalf("e-mail settings show %q", got)
	}

	// Change the profile, then see it on the member page.
	r = b.post("/settings/profile", url.Values{"display_name": {"Ann Example"}, "bio": {"Hello *there*"},
		"link_name_0": {"Site"}, "link_url_0": {"https://ann.example/"}})
	wantStatus(t, r, http.StatusSeeOther)
	page := b.get("/u/ann")
	if page.text("member-name") != "Ann Example" || page.text("member-handle") != "@ann@"+s.url.Host || !strings.Contains(page.text("member-bio"), "Hello *there*") {
		t.Fatalf("member page header: %q", page.text("member-header"))
	}
	// A bad profile keeps what was typed, and marks the field that is wrong: the address, not the name.
	r = b.post("/settings/profile", url.Values{"display_name": {"Still typed"}, "link_name_1": {"Evil"}, "link_url_1": {"javascript:alert(1)"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !r.has("problem-link_url_1") || r.has("problem-link_name_1") || !strings.Contains(r.body, `value="Still typed"`) ||
		!strings.Contains(r.body, `value="javascript:alert(1)"`) {
		t.Fatalf("bad profile form:\n%s", r.body)
	}
	r = b.post("/settings/profile", url.Values{"link_url_0": {"https://ann.example/"}})
	if !r.has("problem-link_name_0") || r.has("problem-link_url_0") {
		t.Fatalf("a link without a name:\n%s", r.body)
	}

	r = b.post("/logout", nil)
	wantStatus(t, r, http.StatusSeeOther)
	if out := b.get("/"); !out.has("nav-login") || out.has("nav-me") {
		t.Fatalf("still signed in after logout: %q", out.text("account-nav"))
	}
	// Settings now send the guest to sign in and back.
	r = b.get("/settings/tokens")
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login?next=%2Fsettings%2Ftokens" {
		t.Fatalf("guest on settings: %d %q", r.StatusCode, r.Header.Get("Location"))
	}

	// Sign in again, by e-mail, coming back to where they were going.
	wrong := b.post("/login", url.Values{"login": {"ann"}, "password": {"not it at all"}, "next": {"/settings/tokens"}})
	wantStatus(t, wrong, http.StatusUnauthorized)
	if wrong.text("form-error") != "Wrong username or password" || !strings.Contains(wrong.body, `value="ann"`) {
		t.Fatalf("wrong password page: %q", wrong.text("form-error"))
	}
	r = b.post("/login", url.Values{"login": {"ann@example.test"}, "password": {"a long enough password"}, "next": {"/settings/tokens"}})
	wantStatus(t, r, http.StatusSeeOther)
	if r.Header.Get("Location") != "/settings/tokens" {
		t.Fatalf("next not followed: %q", r.Header.Get("Location"))
	}
}

func TestLoginReplacesAnExistingSession(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	forumtest.Member(t, s.f, "bob", forum.RoleMember)
	b := s.browser()
	b.login("bob")
	first := b.cookie("stoa_session").Value
	b.login("bob")
	second := b.cookie("stoa_session").Value
	if first == second {
		t.Fatal("signing in again kept the session id")
	}
	if _, _, err := s.f.ResumeSession(t.Context(), first); err == nil {
		t.Fatal("the session from before sign-in still works")
	}
}

func TestSessionCookieIsSecureAndHostPrefixedOnHTTPS(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	forumtest.Member(t, s.f, "carol", forum.RoleMember)
	h := New(Options{Forum: s.f, PublicURL: &url.URL{Scheme: "https", Host: "forum.example"}, Secure: true})
	req := httptest.NewRequest(http.MethodPost, "https://forum.example/login",
		strings.NewReader(url.Values{"login": {"carol"}, "password": {testPassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	cs := rec.Result().Cookies()
	if len(cs) != 1 || cs[0].Name != "__Host-stoa_session" || !cs[0].Secure || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteLaxMode || cs[0].Domain != "" {
		t.Fatalf("cookies %+v", cs)
	}
}

func TestCrossOriginPostsAreRefused(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	forumtest.Member(t, s.f, "dave", forum.RoleMember)
	form := url.Values{"login": {"dave"}, "password": {testPassword}}

	evil := s.browser()
	evil.header.Set("Sec-Fetch-Site", "cross-site")
	r := evil.post("/login", form)
	wantStatus(t, r, http.StatusForbidden)
	if r.has("nav-me") || evil.cookie("stoa_session") != nil {
		t.Fatal("a cross-site sign-in went through")
	}

	// Older browsers without Sec-Fetch-Site: the Origin header decides.
	old := s.browser()
	old.header.Set("Origin", "https://evil.example")
	wantStatus(t, old.post("/login", form), http.StatusForbidden)

	// A signed-in member's forms are protected the same way.
	victim := s.browser()
	victim.login("dave")
	victim.header.Set("Sec-Fetch-Site", "cross-site")
	wantStatus(t, victim.post("/settings/tokens", url.Values{"name": {"stolen"}}), http.StatusForbidden)
	wantStatus(t, victim.post("/logout", nil), http.StatusForbidden)
	if toks, _ := s.f.AccessTokens(t.Context(), forum.Viewer{ActorID: 1, Username: "dave"}); len(toks) != 0 {
		t.Fatalf("cross-site post created a token: %+v", toks)
	}
	// An API write riding on the session cookie is refused too; one that carries its own token
	// is not a forgery (a browser never adds the header), and goes through from any origin.
	apiPost := func(header, value string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, s.srv.URL+"/api/v1/notifications/read", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", "https://bot.example")
		req.Header.Set(header, value)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := apiPost("Cookie", "__Host-stoa_session="+victim.cookie("stoa_session").Value); code != http.StatusForbidden {
		t.Errorf("a cross-origin API write with the session cookie: %d, want 403", code)
	}
	dave, err := s.f.LocalPersonByUsername(t.Context(), "dave")
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := s.f.CreateAccessToken(t.Context(), forum.Viewer{ActorID: dave.ID, Username: "dave"}, dave.ID, "bot")
	if err != nil {
		t.Fatal(err)
	}
	if code := apiPost("Authorization", "Bearer "+token); code != http.StatusOK {
		t.Errorf("an API write with a bearer token from another origin: %d, want 200", code)
	}
	// Reading is not state-changing and stays allowed; so are same-origin posts.
	wantStatus(t, victim.get("/settings/tokens"), http.StatusOK)
	same := s.browser()
	same.header.Set("Sec-Fetch-Site", "same-origin")
	wantStatus(t, same.post("/login", form), http.StatusSeeOther)
}

func TestLoginRedirectsOnlyToLocalPaths(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	forumtest.Member(t, s.f, "erin", forum.RoleMember)
	for next, want := range map[string]string{
		"/t/12?page=2":          "/t/12?page=2",
		"//evil.example/":       "/",
		`/\evil.example`:        "/",
		"/%2F%2Fevil.example":   "/",
		"/%5Cevil.example":      "/",
		"https://evil.example/": "/",
		"javascript:alert(1)":   "/",
		"/\t/evil.example":      "/",
		"":                      "/",
	} {
		b := s.browser()
		r := b.post("/login", url.Values{"login": {"erin"}, "password": {testPassword}, "next": {next}})
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != want {
			t.Errorf("next %q: %d to %q, want %q", next, r.StatusCode, r.Header.Get("Location"), want)
		}
	}
}

func TestLoginIsThrottled(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	forumtest.Member(t, s.f, "frank", forum.RoleMember)
	b := s.browser()
	for i := 0; i < 10; i++ {
		wantStatus(t, b.post("/login", url.Values{"login": {"frank"}, "password": {"guess guess guess"}}), http.StatusUnauthorized)
	}
	r := b.post("/login", url.Values{"login": {"frank"}, "password": {testPassword}})
	wantStatus(t, r, http.StatusTooManyRequests)
	if r.Header.Get("Retry-After") == "" || !strings.Contains(r.text("form-error"), "Too many attempts") {
		t.Fatalf("throttled page: %q, Retry-After %q", r.text("form-error"), r.Header.Get("Retry-After"))
	}
}

func TestBannedMemberIsSignedOutAndToldUntilWhen(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	admin := forumtest.Member(t, s.f, "boss", forum.RoleAdmin)
	m := forumtest.Member(t, s.f, "gus", forum.RoleMember)
	b := s.browser()
	b.login("gus")
	until := time.Now().Add(48 * time.Hour).UTC()
	if err := s.f.BanMember(t.Context(), admin.Viewer(), m.ID, &until, "flooding"); err != nil {
		t.Fatal(err)
	}
	if r := b.get("/"); r.has("nav-me") || !r.has("nav-login") {
		t.Fatalf("banned member still signed in: %q", r.text("account-nav"))
	}
	r := b.post("/login", url.Values{"login": {"gus"}, "password": {testPassword}})
	wantStatus(t, r, http.StatusForbidden)
	msg := r.text("form-error")
	if !strings.Contains(msg, "banned until "+until.UTC().Format("2 Jan 2006, 15:04 UTC")) || !strings.Contains(msg, "flooding") {
		t.Fatalf("ban message %q", msg)
	}
}

func TestBearerTokensAuthenticateTheAPI(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	m := forumtest.Member(t, s.f, "hal", forum.RoleModerator)
	tok, secret, err := s.f.CreateAccessToken(t.Context(), m.Viewer(), m.ID, "ci")
	if err != nil {
		t.Fatal(err)
	}
	api := func(auth string) *response {
		b := s.browser()
		if auth != "" {
			b.header.Set("Authorization", auth)
		}
		return b.get("/api/me")
	}
	r := api("Bearer " + secret)
	wantStatus(t, r, http.StatusOK)
	var me struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
		Role     string `json:"role"`
	}
	if err := json.Unmarshal([]byte(r.body), &me); err != nil || me.ID != m.ID || me.Username != "hal" || me.Role != "moderator" {
		t.Fatalf("/api/me: %s (%v)", r.body, err)
	}
	if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Fatalf("token response cacheable: %q", cc)
	}

	for name, auth := range map[string]string{
		"unknown token":   "Bearer " + forum.AccessTokenPrefix + strings.Repeat("A", 43),
		"garbage":         "Bearer nonsense",
		"basic auth":      "Basic aGFsOnBhc3N3b3Jk",
		"empty bearer":    "Bearer ",
		"no space at all": "Bearer" + secret,
	} {
		r := api(auth)
		var body struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if r.StatusCode != http.StatusUnauthorized || json.Unmarshal([]byte(r.body), &body) != nil || body.Error.Code != "invalid_token" ||
			!strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || r.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: %d %s %q", name, r.StatusCode, r.body, r.Header.Get("WWW-Authenticate"))
		}
	}
	// No credentials: a guest, refused by the endpoint as JSON.
	if r := api(""); r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, `"code":"unauthorized"`) {
		t.Errorf("no credentials: %d %s", r.StatusCode, r.body)
	}
	// A revoked token stops working at once.
	if err := s.f.RevokeAccessToken(t.Context(), m.Viewer(), tok.ID); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, api("Bearer "+secret), http.StatusUnauthorized)
	// Tokens are for the API: on a page the header is ignored.
	_, secret2, _ := s.f.CreateAccessToken(t.Context(), m.Viewer(), m.ID, "ci2")
	b := s.browser()
	b.header.Set("Authorization", "Bearer "+secret2)
	if r := b.get("/"); r.has("nav-me") {
		t.Fatal("a bearer token signed a page in")
	}
}

func TestClientIPTrustsOnlyConfiguredProxies(t *testing.T) {
	t.Parallel()
	s := &Server{proxies: nil}
	trusting := &Server{proxies: mustPrefixes("10.0.0.0/8", "2001:db8:ffff::/48")}
	req := func(remote string, xff ...string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = remote
		for _, x := range xff {
			r.Header.Add("X-Forwarded-For", x)
		}
		return r
	}
	cases := []struct {
		srv  *Server
		req  *http.Request
		want string
	}{
		{s, req("203.0.113.9:5555", "1.2.3.4"), "203.0.113.9"},                         // no proxies trusted: header ignored
		{trusting, req("203.0.113.9:5555", "1.2.3.4"), "203.0.113.9"},                  // peer is not a proxy
		{trusting, req("10.0.0.2:80", "198.51.100.1"), "198.51.100.1"},                 // one proxy
		{trusting, req("10.0.0.2:80", "6.6.6.6, 198.51.100.1"), "198.51.100.1"},        // client-forged left entry ignored
		{trusting, req("10.0.0.2:80", "198.51.100.1, 10.0.0.7"), "198.51.100.1"},       // two proxies
		{trusting, req("10.0.0.2:80", "6.6.6.6", "198.51.100.1"), "198.51.100.1"},      // several header lines
		{trusting, req("[2001:db8:ffff::1]:443", "2001:db8:1::5"), "2001:db8:1::5"},    // IPv6 proxy
		{trusting, req("10.0.0.2:80", "not-an-ip, 10.0.0.9"), "10.0.0.9"},              // garbage stops the walk
		{trusting, req("10.0.0.2:80"), "10.0.0.2"},                                     // proxy without header
		{trusting, req("[::ffff:10.0.0.2]:80", "::ffff:198.51.100.3"), "198.51.100.3"}, // IPv4-mapped forms
		{trusting, req("10.0.0.2:80", "198.51.100.4:31337"), "198.51.100.4"},           // hop with a port
		{trusting, req("10.0.0.2:80", "[2001:db8:1::9]:443"), "2001:db8:1::9"},         // IPv6 hop with a port
	}
	for i, c := range cases {
		if got := c.srv.clientIP(c.req); got.String() != c.want {
			t.Errorf("case %d (%s, %v): got %s, want %s", i, c.req.RemoteAddr, c.req.Header.Values("X-Forwarded-For"), got, c.want)
		}
	}
}

func TestSessionListShowsTheForwardedAddressOnlyBehindATrustedProxy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		opts    []siteOption
		wantIP  string
		avoidIP string
	}{
		{"trusted", []siteOption{trustProxies("127.0.0.1/32", "::1/128")}, "198.51.100.77", ""},
		{"untrusted", nil, "127.0.0.1", "198.51.100.77"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newSite(t, tc.opts...)
			forumtest.Member(t, s.f, "ida", forum.RoleMember)
			b := s.browser()
			b.header.Set("X-Forwarded-For", "198.51.100.77")
			b.login("ida")
			r := b.get("/settings/sessions")
			if !strings.Contains(r.text("sessions"), tc.wantIP) || (tc.avoidIP != "" && strings.Contains(r.text("sessions"), tc.avoidIP)) {
				t.Fatalf("sessions list: %q", r.text("sessions"))
			}
		})
	}
}

// A form refused for its rate says when to try again, as the API does: registrations from one
// address (5 an hour), of which a refused form spends none.
func TestRateLimitedFormsSayWhenToRetry(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	b := s.browser()
	for i := 0; i < 5; i++ {
		// A form refused for what it says is not an account made, and leaves the budget alone.
		wantStatus(t, b.post("/register", url.Values{"username": {"Bad Name"}, "email": {"x@example.test"}, "password": {"short"}}),
			http.StatusUnprocessableEntity)
		name := fmt.Sprintf("reg%d", i)
		wantStatus(t, s.browser().post("/register", url.Values{"username": {name}, "email": {name + "@example.test"},
			"password": {"a long enough password"}}), http.StatusSeeOther)
	}
	r := b.post("/register", url.Values{"username": {"reg9"}, "email": {"reg9@example.test"}, "password": {"a long enough password"}})
	wantStatus(t, r, http.StatusTooManyRequests)
	if r.Header.Get("Retry-After") != "60" {
		t.Fatalf("a refused registration: Retry-After %q", r.Header.Get("Retry-After"))
	}
}
