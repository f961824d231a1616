package e2e

import (
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/stoa-forum/stoa/internal/stoaproc"
)

// TestBrowserModeratorGivesReasons: a moderator types a reason once, in the thread's tools, and
// hides one post and deletes another with the posts' own buttons; the log gives both reasons. The
// posts' buttons submit the tools' form through their form attribute, which only a real browser
// shows works; with JavaScript on, Delete still asks first (app.js reads the button's question).
func TestBrowserModeratorGivesReasons(t *testing.T) {
	t.Parallel()
	withAndWithoutScript(t, moderatorFlow)
}

func moderatorFlow(t *testing.T, js bool) {
	in := stoaproc.Start(t, stoaproc.Options{})
	in.Admin("category", "create", "--slug", "general", "--title", "General")
	in.Admin("user", "create", "--username", "alice", "--email", "alice@example.test", "--password", "alice's long password")
	in.Admin("user", "create", "--username", "mia", "--email", "mia@example.test", "--password", "mia's long password", "--role", "admin")
	alice := apiClient{t: t, base: in.URL, token: trimmed(in.Admin("token", "create", "--username", "alice")), http: &http.Client{Timeout: 10 * time.Second}}
	var thread struct {
		ID int64 `json:"id"`
	}
	alice.do("POST", "/api/v1/categories/general/threads", map[string]any{"title": "Getting heated", "body": "Tabs or spaces?"}, &thread)
	var rude, worse struct {
		ID int64 `json:"id"`
	}
	alice.do("POST", "/api/v1/threads/"+strconv.FormatInt(thread.ID, 10)+"/posts", map[string]any{"body": "Only a fool uses tabs."}, &rude)
	alice.do("POST", "/api/v1/threads/"+strconv.FormatInt(thread.ID, 10)+"/posts", map[string]any{"body": "Here is where they live."}, &worse)
	inPost := func(id int64, testID string) string { return "#p" + strconv.FormatInt(id, 10) + " " + byTestID(testID) }

	ctx := newBrowser(t, js)
	var asked atomic.Value // the question app.js asked before deleting
	chromedp.ListenTarget(ctx, func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			asked.Store(d.Message)
			go func() { _ = chromedp.Run(ctx, page.HandleJavaScriptDialog(true)) }()
		}
	})

	step(t, ctx, "sign in",
		chromedp.Navigate(in.URL+"/login"),
		chromedp.WaitVisible(byTestID("login-form")),
		chromedp.SendKeys(`input[name="login"]`, "mia"),
		chromedp.SendKeys(`input[name="password"]`, "mia's long password"),
		chromedp.Submit(byTestID("login-form")),
		chromedp.WaitVisible(byTestID("nav-me")),
	)
	threadURL := in.URL + "/t/" + strconv.FormatInt(thread.ID, 10)
	var defaultShown string
	step(t, ctx, "hide a post with a reason",
		chromedp.Navigate(threadURL),
		chromedp.WaitVisible(byTestID("mod-reason")),
		// The tools' hidden default button (Enter in the reason field must not lock the thread)
		// stays out of sight: style.css's button rule once showed it as an empty pill.
		chromedp.Evaluate(`getComputedStyle(document.querySelector('[data-testid="mod-default"]')).display`, &defaultShown),
		chromedp.SendKeys(byTestID("mod-reason"), "personal attack"),
		chromedp.Click(inPost(rude.ID, "hide-post")),
		chromedp.WaitVisible(inPost(rude.ID, "unhide-post")),
	)
	step(t, ctx, "delete a post with a reason",
		chromedp.WaitVisible(byTestID("mod-reason")),
		chromedp.SendKeys(byTestID("mod-reason"), "doxxing"),
		chromedp.Click(inPost(worse.ID, "delete")),
		chromedp.WaitVisible(inPost(worse.ID, "post-deleted")),
	)
	if q, _ := asked.Load().(string); js && q != "Delete this post?" {
		t.Errorf("with JavaScript on, Delete asked %q first", q)
	} else if !js && q != "" {
		t.Errorf("with JavaScript off, a question was asked: %q", q)
	}
	var log string
	step(t, ctx, "read the log",
		chromedp.Navigate(in.URL+"/admin/log"),
		chromedp.WaitVisible("main", chromedp.ByQuery),
		chromedp.Text("main", &log, chromedp.ByQuery),
	)
	for _, reason := range []string{"personal attack", "doxxing"} {
		if !strings.Contains(log, reason) {
			t.Errorf("the moderation log does not give the reason %q:\n%s", reason, log)
		}
	}
	if defaultShown != "none" {
		t.Errorf("the moderation tools' hidden default button is displayed (%q)", defaultShown)
	}

	// A display name without spaces (60 characters are allowed) wraps within its post on a phone
	// rather than making every reader's page scroll sideways.
	long := strings.Repeat("M", 60)
	var pageWidth, viewWidth int
	step(t, ctx, "take a long name and reply on a phone",
		chromedp.Navigate(in.URL+"/settings/profile"),
		chromedp.WaitVisible(byTestID("profile-form")),
		chromedp.SetValue(`input[name="display_name"]`, long),
		chromedp.Submit(byTestID("profile-form")),
		chromedp.WaitVisible("main", chromedp.ByQuery),
		chromedp.Navigate(threadURL),
		chromedp.WaitVisible(byTestID("body-input")),
		chromedp.SendKeys(byTestID("body-input"), "Let us keep this civil."),
		chromedp.Click(byTestID("submit-button")),
		chromedp.WaitVisible(`//*[contains(text(), "Let us keep this civil.")]`, chromedp.BySearch),
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(threadURL),
		chromedp.WaitVisible(`//*[contains(text(), "`+long+`")]`, chromedp.BySearch),
		chromedp.Evaluate(`document.documentElement.scrollWidth`, &pageWidth),
		chromedp.Evaluate(`document.documentElement.clientWidth`, &viewWidth),
	)
	if pageWidth > viewWidth {
		t.Errorf("at 390 px the thread page is %d px wide (view %d): it scrolls sideways", pageWidth, viewWidth)
	}
}
