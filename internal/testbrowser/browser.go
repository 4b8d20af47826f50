// Package testbrowser runs Debian's headless Chromium for tests of the HTML
// pages mobu writes and serves: a test opens a page, waits for what must
// appear, and asserts on the rendered text and DOM (chromedp actions).
//
// Chromium is started with the flags a closed network needs (no background
// networking, no component updates) and a fresh profile; when it is missing
// the test fails with the install hint, it never skips.
package testbrowser

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Path is where Debian installs Chromium (apt-get install chromium).
const Path = "/usr/bin/chromium"

// Browser is one headless Chromium with one tab.
type Browser struct {
	ctx context.Context
}

// Start launches Chromium; t.Cleanup closes it.
func Start(t testing.TB) *Browser {
	t.Helper()
	path := Path
	if p := os.Getenv("MOBU_TEST_CHROMIUM"); p != "" {
		path = p
	}
	if _, err := exec.LookPath(path); err != nil {
		t.Fatalf("headless Chromium not found at %s (scripts/install-deps installs Debian's chromium): %v", path, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first action on ctx itself starts the browser and binds it to ctx:
	// a derived context with a deadline would close it when it ends.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting headless Chromium (%s): %v", path, err)
	}
	return &Browser{ctx: ctx}
}

// Do performs chromedp actions within limit; a failure fails the test.
func (b *Browser) Do(t testing.TB, limit time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, limit)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// Eval evaluates a JavaScript expression in the open page and decodes its
// value (JSON) into T.
func Eval[T any](t testing.TB, b *Browser, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("browser: evaluating %s: %v", expr, err)
	}
	return v
}

// Text opens url, waits until the CSS selector is visible and returns the
// page's rendered text (document.body.innerText).
func (b *Browser) Text(t testing.TB, url, selector string) string {
	t.Helper()
	b.Do(t, time.Minute, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(selector)))
	return Eval[string](t, b, `document.body.innerText`)
}
