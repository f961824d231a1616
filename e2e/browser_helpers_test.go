package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// chromiumPath is where Debian's chromium package puts the browser (installed by
// scripts/ensure-chromium.sh, which `make test` runs).
const chromiumPath = "/usr/bin/chromium"

// newBrowser starts a headless Chromium with its own profile and returns a context for chromedp.
// With js false, script execution is disabled in the page, as for a visitor without JavaScript.
func newBrowser(t *testing.T, js bool) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("Chromium not found at %s (run `make test`, which installs Debian's chromium package): %v", chromiumPath, err)
	}
	// The profile directory is removed by hand after the browser is gone: Chromium keeps writing to
	// it for a moment after its context is cancelled, which t.TempDir's cleanup reports as an error.
	profile, err := os.MkdirTemp("", "stoa-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox, // root in CI; the pages are our own
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
		for i := 0; i < 20 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	})
	if err := chromedp.Run(ctx, emulation.SetScriptExecutionDisabled(!js)); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// withAndWithoutScript runs a flow twice side by side, with JavaScript on and with it off: every
// flow must work without it.
func withAndWithoutScript(t *testing.T, flow func(t *testing.T, js bool)) {
	for _, js := range []bool{true, false} {
		name := "JavaScriptOff"
		if js {
			name = "JavaScriptOn"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			flow(t, js)
		})
	}
}

// step runs chromedp actions; on failure it saves a screenshot and the page's HTML under
// test-artifacts/ (kept by CI) and fails the test with both paths.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		shot, page := saveArtifacts(t, ctx, what)
		t.Fatalf("%s: %v\nscreenshot: %s\npage: %s", what, err, shot, page)
	}
}

func saveArtifacts(t *testing.T, ctx context.Context, what string) (string, string) {
	dir := filepath.Join(repoRoot(), "test-artifacts")
	_ = os.MkdirAll(dir, 0o755)
	name := regexp.MustCompile(`[^a-zA-Z0-9]+`).ReplaceAllString(t.Name()+"-"+what, "_")
	// The failed action may have used up the context's deadline; take the evidence with a fresh one.
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var png []byte
	var html string
	_ = chromedp.Run(sctx, chromedp.FullScreenshot(&png, 80), chromedp.OuterHTML("html", &html, chromedp.ByQuery))
	shot := filepath.Join(dir, name+".png")
	page := filepath.Join(dir, name+".html")
	_ = os.WriteFile(shot, png, 0o644)
	_ = os.WriteFile(page, []byte(html), 0o644)
	return shot, page
}

func repoRoot() string {
	wd, _ := os.Getwd()
	return filepath.Dir(wd)
}

// byTestID is the CSS selector of elements with a data-testid.
func byTestID(id string) string { return fmt.Sprintf(`[data-testid="%s"]`, id) }

// apiClient calls an instance's JSON API with a bearer token.
type apiClient struct {
	t     *testing.T
	base  string
	token string
	http  *http.Client
}

// try is do without the fatal: it returns the status and body, for requests that may be refused.
func (c apiClient) try(method, path string, body any) (int, string) {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func (c apiClient) do(method, path string, body any, out any) {
	c.t.Helper()
	status, data := c.try(method, path, body)
	if status == 0 || status >= 300 {
		c.t.Fatalf("%s %s: %d %s", method, path, status, data)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(data), out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
}

// threadIDFromURL reads the id from a thread page URL (/t/{id}...).
func threadIDFromURL(t *testing.T, u string) string {
	t.Helper()
	m := regexp.MustCompile(`/t/(\d+)`).FindStringSubmatch(u)
	if m == nil {
		t.Fatalf("not a thread URL: %s", u)
	}
	return m[1]
}

func trimmed(s string) string { return strings.TrimSpace(s) }
