package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/stoa-forum/stoa/internal/stoaproc"
)

// TestBrowserMemberFlow is what a new member does on their first day, in a real Chromium against a
// real `stoa serve`: register, start a thread, read a reply, like it, quote it, follow the unread
// badge to a newer reply, find that reply by search, sign out and back in. It runs once with
// JavaScript on (likes and quotes happen in place) and once with it off (every step is a plain form
// or link).
func TestBrowserMemberFlow(t *testing.T) {
	t.Parallel()
	withAndWithoutScript(t, memberFlow)
}

func memberFlow(t *testing.T, js bool) {
	// carol on a Mastodon-like peer, for the step that finds and follows someone elsewhere.
	peer := newMastoPeer(t)
	peer.connect(&http.Client{Timeout: 10 * time.Second})
	in := stoaproc.Start(t, stoaproc.Options{Env: map[string]string{
		"STOA_UNSAFE_LOCAL_FEDERATION": "1", "STOA_UNSAFE_HOST_MAP": peer.host + "=" + peer.addr}})
	in.Admin("category", "create", "--slug", "general", "--title", "General", "--description", "Anything goes")
	in.Admin("user", "create", "--username", "bob", "--email", "bob@example.test", "--password", "bob's long password")
	// The longest name there may be, whose page must fit a phone.
	in.Admin("user", "create", "--username", "a_name_of_thirty_characters_xy", "--email", "long@example.test", "--password", "long's long password")
	bob := apiClient{t: t, base: in.URL, token: trimmed(in.Admin("token", "create", "--username", "bob")), http: &http.Client{Timeout: 10 * time.Second}}

	ctx := newBrowser(t, js)
	var text, location string

	step(t, ctx, "register",
		chromedp.Navigate(in.URL+"/register"),
		chromedp.WaitVisible(byTestID("register-form")),
		chromedp.SendKeys(`input[name="username"]`, "alice"),
		chromedp.SendKeys(`input[name="email"]`, "alice@example.test"),
		chromedp.SendKeys(`input[name="password"]`, "alice's long password"),
		chromedp.Submit(byTestID("register-form")),
		chromedp.WaitVisible(byTestID("nav-me")),
		chromedp.Text(byTestID("nav-me"), &text),
	)
	if text != "alice" {
		t.Fatalf("signed in as %q after registering", text)
	}

	step(t, ctx, "find and follow someone elsewhere",
		chromedp.Navigate(in.URL+"/"),
		chromedp.WaitVisible(byTestID("remote-lookup")),
		chromedp.SendKeys(`#f-q`, "@carol@"+peer.host),
		chromedp.Submit(byTestID("remote-lookup")),
		chromedp.WaitVisible(byTestID("follow")),
		chromedp.Click(byTestID("follow")),
		chromedp.WaitVisible(byTestID("follow-state")),
		chromedp.Text(byTestID("follow-state"), &text),
	)
	if !strings.Contains(text, "waiting for "+peer.host) {
		t.Fatalf("after following carol the page says %q", text)
	}

	step(t, ctx, "start a thread",
		chromedp.Navigate(in.URL+"/c/general/new"),
		chromedp.WaitVisible(byTestID("title-input")),
		chromedp.SendKeys(byTestID("title-input"), "Which hand plane first?"),
		chromedp.SendKeys(byTestID("body-input"), "I am setting up a **small** workshop. Block plane or jack plane?"),
		chromedp.Click(byTestID("submit-button")),
		chromedp.WaitVisible(byTestID("thread-title")),
		chromedp.Text(byTestID("thread-title"), &text),
		chromedp.Location(&location),
	)
	if !strings.Contains(text, "Which hand plane first?") {
		t.Fatalf("thread page titled %q", text)
	}
	threadID := threadIDFromURL(t, location)

	// Bob answers through the JSON API while Alice is on the page.
	var reply struct {
		ID int64 `json:"id"`
	}
	bob.do("POST", "/api/v1/threads/"+threadID+"/posts", map[string]any{"body": "A jack plane: it flattens, it smooths, it joints."}, &reply)
	bobPost := fmt.Sprintf("#p%d", reply.ID)

	step(t, ctx, "read the reply",
		chromedp.Navigate(in.URL+"/t/"+threadID),
		chromedp.WaitVisible(bobPost),
		chromedp.Text(bobPost+" "+byTestID("post-body"), &text),
	)
	if !strings.Contains(text, "jack plane") {
		t.Fatalf("bob's reply reads %q", text)
	}

	// With JavaScript the like happens in place: a marker left on the page survives it.
	if js {
		step(t, ctx, "mark the page", chromedp.Evaluate(`window.stoaTestMarker = "still here"`, nil))
	}
	step(t, ctx, "like the reply",
		chromedp.Click(bobPost+" "+byTestID("like-button")),
		chromedp.WaitVisible(bobPost+` [data-testid="like-button"][aria-pressed="true"]`),
		chromedp.Text(bobPost+" "+byTestID("like-count"), &text),
	)
	if trimmed(text) != "1" {
		t.Fatalf("like count after liking: %q", text)
	}
	if js {
		var marker, focused string
		step(t, ctx, "read the marker", chromedp.Evaluate(`window.stoaTestMarker || ""`, &marker),
			chromedp.Evaluate(`document.activeElement.getAttribute("data-testid") || document.activeElement.tagName`, &focused))
		if marker != "still here" {
			t.Fatal("liking reloaded the page instead of updating it in place")
		}
		// A keyboard user stays on the button they pressed: disabling it while the like was
		// sent sent the focus back to the top of the page.
		if focused != "like-button" {
			t.Errorf("after liking in place the focus is on %q, not the like button", focused)
		}
	}

	// Quoting: with JavaScript the quote lands in the reply box on the page; without it the link
	// opens the reply form with the quote filled in. Either way the reply is then posted.
	var body string
	if js {
		step(t, ctx, "quote in place",
			chromedp.Click(bobPost+" "+byTestID("quote")),
			chromedp.Poll(`document.querySelector('textarea[name="body"]').value.includes("jack plane")`, nil, chromedp.WithPollingTimeout(10*time.Second)),
			chromedp.SendKeys(`textarea[name="body"]`, "\nThanks, a jack plane it is."),
			chromedp.Value(`textarea[name="body"]`, &body),
			chromedp.Submit(`textarea[name="body"]`),
		)
	} else {
		step(t, ctx, "quote through the reply form",
			chromedp.Click(bobPost+" "+byTestID("quote")),
			chromedp.WaitVisible(byTestID("body-input")),
			chromedp.SendKeys(byTestID("body-input"), "\nThanks, a jack plane it is."),
			chromedp.Value(byTestID("body-input"), &body),
			chromedp.Click(byTestID("submit-button")),
		)
	}
	if !strings.Contains(body, "> A jack plane: it flattens") {
		t.Fatalf("the reply box holds no quote of bob's post: %q", body)
	}
	step(t, ctx, "see the quoting reply",
		chromedp.WaitVisible(`[data-testid="post"]:nth-of-type(3) blockquote`),
		chromedp.Text(`[data-testid="post"]:nth-of-type(3) `+byTestID("post-body"), &text),
	)
	if !strings.Contains(text, "jack plane it is") || !strings.Contains(text, "flattens") {
		t.Fatalf("the quoting reply reads %q", text)
	}

	// Bob answers again while Alice is away from the thread: the category list counts it as unread
	// and its badge jumps to it, where the post is marked new.
	var again struct {
		ID int64 `json:"id"`
	}
	bob.do("POST", "/api/v1/threads/"+threadID+"/posts", map[string]any{"body": "Sharpen the iron before anything else."}, &again)
	againPost := fmt.Sprintf("#p%d", again.ID)
	step(t, ctx, "see the unread count",
		chromedp.Navigate(in.URL+"/c/general"),
		chromedp.WaitVisible(byTestID("thread-row")+" "+byTestID("unread-count")),
		chromedp.Text(byTestID("thread-row")+" "+byTestID("unread-count"), &text),
	)
	if !strings.HasPrefix(trimmed(text), "1") {
		t.Fatalf("unread badge after one new reply reads %q", text)
	}
	step(t, ctx, "jump to the first unread",
		chromedp.Click(byTestID("thread-row")+" "+byTestID("unread-count")),
		chromedp.WaitVisible(againPost+" "+byTestID("unread-marker")),
		chromedp.Location(&location),
	)
	if !strings.HasSuffix(location, againPost) {
		t.Fatalf("the unread badge led to %s, not to %s", location, againPost)
	}
	var marked int
	step(t, ctx, "count the new markers",
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="unread-marker"]').length`, &marked))
	if marked != 1 {
		t.Fatalf("%d posts marked new, want only bob's second reply", marked)
	}

	step(t, ctx, "search",
		chromedp.SendKeys(`#site-search`, "sharpen iron"),
		chromedp.Submit(`#site-search`),
		chromedp.WaitVisible(byTestID("search-hit")),
		chromedp.AttributeValue(byTestID("search-hit"), "data-post-id", &text, nil),
	)
	if text != fmt.Sprint(again.ID) {
		t.Fatalf("searching for bob's second reply found post %s, want %d", text, again.ID)
	}

	step(t, ctx, "sign out",
		chromedp.Click(byTestID("nav-logout")),
		chromedp.WaitVisible(byTestID("nav-login")),
	)
	step(t, ctx, "sign in again",
		chromedp.Click(byTestID("nav-login")),
		chromedp.WaitVisible(byTestID("login-form")),
		chromedp.SendKeys(`input[name="login"]`, "alice"),
		chromedp.SendKeys(`input[name="password"]`, "alice's long password"),
		chromedp.Submit(byTestID("login-form")),
		chromedp.WaitVisible(byTestID("nav-me")),
		chromedp.Text(byTestID("nav-me"), &text),
	)
	if text != "alice" {
		t.Fatalf("signed in as %q", text)
	}
	// On a phone the header takes two rows, the site's links and search box, then the account's
	// (it took four); Sign out is on the settings page there.
	var header *dom.BoxModel
	step(t, ctx, "a phone's header",
		emulation.SetDeviceMetricsOverride(390, 844, 1, true),
		chromedp.Navigate(in.URL+"/latest"),
		chromedp.WaitVisible(byTestID("nav-me")),
		chromedp.Dimensions(".site-header", &header, chromedp.ByQuery),
	)
	if header.Height > 110 {
		t.Fatalf("the header on a phone is %d px high: more than two rows", header.Height)
	}
	var pageWidth int64
	step(t, ctx, "a long name's page on a phone",
		chromedp.Navigate(in.URL+"/u/a_name_of_thirty_characters_xy"),
		chromedp.WaitVisible(byTestID("member-handle")),
		chromedp.Evaluate(`document.documentElement.scrollWidth`, &pageWidth),
	)
	if pageWidth > 390 {
		t.Fatalf("a member page with a long handle is %d px wide on a 390 px phone: it scrolls sideways", pageWidth)
	}
	step(t, ctx, "sign out on a phone",
		chromedp.Click(byTestID("nav-settings")),
		chromedp.WaitVisible(byTestID("settings-logout")),
		chromedp.Click(byTestID("settings-logout")),
		chromedp.WaitVisible(byTestID("nav-login")),
	)
}
