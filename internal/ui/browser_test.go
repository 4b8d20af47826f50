package ui_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mobu-dev/mobu/internal/flock"
	"github.com/mobu-dev/mobu/internal/testbrowser"
)

// TestStatusPage runs two flocks, opens the page and checks what it shows,
// then that it drops a deleted flock and reports an unreachable API.
func TestStatusPage(t *testing.T) {
	s := newSite(t, "")
	s.start(alphaJSON)
	s.start(betaJSON)
	waitFor(t, "alpha to settle", func() bool { return s.settled("alpha", 2*maxRuns, 0) })
	waitFor(t, "beta to settle", func() bool { return s.settled("beta", maxRuns, maxFailures) })

	b := testbrowser.Start(t)
	page := b.Text(t, s.URL+"/mobu/ui", `section[data-flock="beta"] .failure`)
	for _, want := range []string{"Flock alpha", "Flock beta", "Last updated"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	checkOverview(t, b)
	checkMonkeys(t, b)
	checkFailure(t, b)
	for _, name := range []string{"alpha", "beta"} {
		checkSparklines(t, s, b, name)
	}
	if n := count(t, b, `section[data-flock="alpha"] tr[data-stage="login"]`); n != 1 {
		t.Errorf("%d login rows in alpha's stage table", n)
	}

	if status := s.call(http.MethodDelete, "/mobu/flocks/beta", nil); status != http.StatusNoContent {
		t.Fatalf("DELETE beta: status %d", status)
	}
	b.Do(t, 20*time.Second,
		chromedp.WaitNotPresent(chromedp.CSS(`section[data-flock="beta"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#flocks tr[data-flock="beta"]`)))
	if n := count(t, b, `section[data-flock="alpha"]`); n != 1 {
		t.Errorf("alpha gone with beta (%d sections)", n)
	}

	s.Close() // the API goes away: the page says so and keeps the last data
	b.Do(t, 20*time.Second, chromedp.WaitVisible(chromedp.CSS(`#error`)))
	if msg := text(t, b, "#error"); !strings.Contains(msg, "Cannot load the status") {
		t.Errorf("error banner %q", msg)
	}
	if n := count(t, b, `section[data-flock="alpha"]`); n != 1 {
		t.Errorf("the last data went with the API (%d alpha sections)", n)
	}
}

// checkOverview: both flocks with their success rates.
func checkOverview(t *testing.T, b *testbrowser.Browser) {
	t.Helper()
	for name, want := range map[string]string{"alpha": "100.0%", "beta": "75.0%"} {
		row := `#flocks tr[data-flock="` + name + `"]`
		if got := text(t, b, row+" .rate"); got != want {
			t.Errorf("%s: success rate %q, want %q (row %q)", name, got, want, text(t, b, row))
		}
		if got := text(t, b, row); !strings.Contains(got, "EmptyLoop") {
			t.Errorf("%s: row %q lacks the business", name, got)
		}
	}
}

// checkMonkeys: a passing and a failing monkey, each holding a notebook.
func checkMonkeys(t *testing.T, b *testbrowser.Browser) {
	t.Helper()
	row := `section[data-flock="alpha"] tr[data-monkey="bot-mobu-alpha1"]`
	got := text(t, b, row)
	held := fmt.Sprintf("cell-%d (#%d)", maxRuns+1, maxRuns+1)
	for _, want := range []string{"bot-mobu-alpha1", string(flock.StateRunning), notebooks[maxRuns%2], held} {
		if !strings.Contains(got, want) {
			t.Errorf("monkey row %q lacks %q", got, want)
		}
	}
	if n := count(t, b, row+" .state.state-running"); n != 1 {
		t.Errorf("the state is not colour-coded as running (%d)", n)
	}
	got = text(t, b, `section[data-flock="beta"] tr[data-monkey="bot-mobu-fail"]`)
	for _, want := range []string{brokenNB, brokenCellID, errorName} {
		if !strings.Contains(got, want) {
			t.Errorf("failing monkey row %q lacks %q", got, want)
		}
	}
}

// checkFailure: the newest failure names its cell and error, and its
// details open on the traceback and the cell's code.
func checkFailure(t *testing.T, b *testbrowser.Browser) {
	t.Helper()
	const first = `section[data-flock="beta"] .failure`
	if n := count(t, b, first); n != maxFailures {
		t.Errorf("%d failures shown, want %d", n, maxFailures)
	}
	got := text(t, b, first)
	for _, want := range []string{"bot-mobu-fail", "cell", brokenNB, brokenCellID, fmt.Sprintf("(#%d)", brokenCellNo), errorName, "division by zero"} {
		if !strings.Contains(got, want) {
			t.Errorf("failure %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, tracebackTop) {
		t.Errorf("traceback shown before its details are opened: %q", got)
	}
	b.Do(t, 10*time.Second, chromedp.Click(chromedp.CSS(first+" details summary")))
	waitJS(t, b, "the details to open", `document.querySelector(`+jsString(first+" details")+`).open`)
	got = text(t, b, first+" details")
	for _, want := range []string{tracebackTop, errorName + ": division by zero", "ratio = total / 0"} {
		if !strings.Contains(got, want) {
			t.Errorf("details %q lack %q", got, want)
		}
	}
}

// checkSparklines: one sparkline per notebook with a dot per recent sample,
// the failed ones marked, as the timings route reports them.
func checkSparklines(t *testing.T, s *site, b *testbrowser.Browser, name string) {
	t.Helper()
	var timings []flock.Timing
	s.call(http.MethodGet, "/mobu/flocks/"+name+"/timings?recent=30", &timings)
	seen := 0
	for _, tm := range timings {
		nb, ok := strings.CutPrefix(tm.Name, "notebook ")
		if !ok {
			continue
		}
		seen++
		failed := 0
		for _, p := range tm.Recent {
			if !p.OK {
				failed++
			}
		}
		spark := `section[data-flock="` + name + `"] tr[data-notebook="` + nb + `"] svg.sparkline`
		if n := count(t, b, spark+" circle"); n != len(tm.Recent) || n == 0 {
			t.Errorf("%s %s: %d points, want %d", name, nb, n, len(tm.Recent))
		}
		if n := count(t, b, spark+" circle.fail"); n != failed {
			t.Errorf("%s %s: %d failed points, want %d", name, nb, n, failed)
		}
		if row := text(t, b, `section[data-flock="`+name+`"] tr[data-notebook="`+nb+`"]`); !strings.Contains(row, nb) {
			t.Errorf("%s: notebook row %q", name, row)
		}
	}
	if want := map[string]int{"alpha": 2, "beta": 3}[name]; seen != want {
		t.Errorf("%s: %d notebook series, want %d", name, seen, want)
	}
	if n := count(t, b, `section[data-flock="`+name+`"] svg.sparkline`); n != seen {
		t.Errorf("%s: %d sparklines for %d notebooks", name, n, seen)
	}
}

// TestStatusPageToken: with MOBU_API_TOKEN set, the page asks for the
// token, says when one is refused, and shows the flocks once it has it.
func TestStatusPageToken(t *testing.T) {
	s := newSite(t, "s3cret")
	s.start(gammaJSON)

	b := testbrowser.Start(t)
	b.Do(t, time.Minute, chromedp.Navigate(s.URL+"/mobu/ui/"), chromedp.WaitVisible(chromedp.CSS("#token-form")))
	if n := count(t, b, "section.flock"); n != 0 {
		t.Fatalf("%d flocks shown without a token", n)
	}

	b.Do(t, 10*time.Second, chromedp.SendKeys(chromedp.CSS("#token"), "wrong"), chromedp.Click(chromedp.CSS("#token-form button")))
	waitJS(t, b, "the refusal", `document.querySelector("#token-message").textContent.includes("not accepted") &&
		!document.querySelector("#token-form").hidden`)

	b.Do(t, 10*time.Second, chromedp.SendKeys(chromedp.CSS("#token"), "s3cret"), chromedp.Click(chromedp.CSS("#token-form button")))
	b.Do(t, 20*time.Second, chromedp.WaitVisible(chromedp.CSS(`section[data-flock="gamma"]`)),
		chromedp.WaitNotVisible(chromedp.CSS("#token-form")))
	if got := text(t, b, `#flocks tr[data-flock="gamma"]`); !strings.Contains(got, "gamma") {
		t.Errorf("flock row %q", got)
	}
	if tok := testbrowser.Eval[string](t, b, `sessionStorage.getItem("mobu-api-token")`); tok != "s3cret" {
		t.Errorf("session storage holds %q", tok)
	}
}
