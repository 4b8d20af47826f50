package github_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mobu-dev/mobu/internal/github"
	"github.com/mobu-dev/mobu/internal/testgithub"
)

func TestCreateCheckRun(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	before := time.Now().Add(-time.Second)
	id, err := f.app.CreateCheckRun(context.Background(), f.repo, "0123abcd", "Mobu (idfdev)")
	if err != nil {
		t.Fatal(err)
	}
	runs := f.srv.CheckRuns()
	if len(runs) != 1 || runs[0].ID != id {
		t.Fatalf("runs %+v, id %d", runs, id)
	}
	r := runs[0]
	if r.Owner != "lsst-sqre" || r.Repo != "notebooks" || r.Name != "Mobu (idfdev)" || r.HeadSHA != "0123abcd" ||
		r.Status != "queued" || r.Output.Title != "Mobu (idfdev)" || r.Output.Summary != "Waiting for mobu to run…" {
		t.Errorf("check run %+v", r)
	}
	if r.StartedAt.Before(before.Truncate(time.Second)) || r.StartedAt.After(time.Now()) {
		t.Errorf("started_at %v, want about now", r.StartedAt)
	}
}

// A run goes queued → in_progress → completed/failure; the name is never
// sent on update (go-github's UpdateCheckRunOptions would blank it).
func TestCheckRunLifecycle(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ctx := context.Background()
	id, err := f.app.CreateCheckRun(ctx, f.repo, "abc", "Mobu")
	if err != nil {
		t.Fatal(err)
	}
	updates := []github.CheckUpdate{
		{Status: "in_progress", Title: "Mobu", Summary: "Running these notebooks via Mobu:\n* a.ipynb"},
		{Status: "completed", Conclusion: "failure", Title: "Mobu", Summary: "1 failed", Text: "a.ipynb: Error executing cell"},
	}
	for _, u := range updates {
		if err := f.app.UpdateCheckRun(ctx, f.repo, id, u); err != nil {
			t.Fatal(err)
		}
	}
	r := f.srv.CheckRuns()[0]
	var seq []string
	for _, h := range r.History {
		seq = append(seq, h.Status+"/"+h.Conclusion)
		var body map[string]any
		if err := json.Unmarshal(h.Body, &body); err != nil {
			t.Fatal(err)
		}
		if _, ok := body["name"]; ok && h.Method == "PATCH" {
			t.Errorf("PATCH sent a name: %s", h.Body)
		}
	}
	if got := strings.Join(seq, " "); got != "queued/ in_progress/ completed/failure" {
		t.Errorf("states %q", got)
	}
	if r.Name != "Mobu" || r.CompletedAt.IsZero() || r.Output.Text != "a.ipynb: Error executing cell" {
		t.Errorf("final run %+v", r)
	}
	if !r.History[1].CompletedAt.IsZero() {
		t.Error("in_progress update carried completed_at")
	}
}

// 120 annotations go out as PATCHes of 50, 50 and 20, in order; only the
// first carries status, conclusion and completed_at.
func TestAnnotationsSplit(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ctx := context.Background()
	id, err := f.app.CreateCheckRun(ctx, f.repo, "abc", "Mobu")
	if err != nil {
		t.Fatal(err)
	}
	anns := make([]github.Annotation, 120)
	for i := range anns {
		anns[i] = github.Annotation{Path: "nb.ipynb", StartLine: i + 1, Level: "failure",
			Title: "cell failed", Message: fmt.Sprintf("error %d", i)}
	}
	u := github.CheckUpdate{Status: "completed", Conclusion: "failure", Title: "Mobu", Summary: "3 failed",
		Text: "details", Annotations: anns}
	if err := f.app.UpdateCheckRun(ctx, f.repo, id, u); err != nil {
		t.Fatal(err)
	}
	r := f.srv.CheckRuns()[0]
	patches := r.History[1:]
	if len(patches) != 3 {
		t.Fatalf("%d PATCHes, want 3", len(patches))
	}
	for i, want := range []int{50, 50, 20} {
		p := patches[i]
		if len(p.Annotations) != want || p.Output == nil || p.Output.Title != "Mobu" || p.Output.Summary != "3 failed" {
			t.Errorf("PATCH %d: %d annotations, output %+v", i, len(p.Annotations), p.Output)
		}
		var body map[string]any
		_ = json.Unmarshal(p.Body, &body)
		_, hasStatus := body["status"]
		_, hasCompleted := body["completed_at"]
		if (i == 0) != hasStatus || (i == 0) != hasCompleted {
			t.Errorf("PATCH %d: status sent %v, completed_at sent %v", i, hasStatus, hasCompleted)
		}
	}
	if len(r.Annotations) != 120 {
		t.Fatalf("%d annotations recorded", len(r.Annotations))
	}
	for i, a := range r.Annotations {
		if a.Message != fmt.Sprintf("error %d", i) || a.StartLine != i+1 || a.EndLine != i+1 {
			t.Fatalf("annotation %d out of order or malformed: %+v", i, a)
		}
	}
}

func TestOutputTruncated(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ctx := context.Background()
	id, err := f.app.CreateCheckRun(ctx, f.repo, "abc", "Mobu")
	if err != nil {
		t.Fatal(err)
	}
	summary := "HEAD" + strings.Repeat("a", 70000) + "TAIL"
	text := "start " + strings.Repeat("é€😀", 20000) + " Error executing cell"
	u := github.CheckUpdate{Status: "completed", Conclusion: "failure", Title: "Mobu", Summary: summary, Text: text}
	if err := f.app.UpdateCheckRun(ctx, f.repo, id, u); err != nil {
		t.Fatal(err)
	}
	out := f.srv.CheckRuns()[0].Output
	for name, s := range map[string]string{"summary": out.Summary, "text": out.Text} {
		if len(s) > github.MaxOutputChars || !utf8.ValidString(s) || !strings.Contains(s, "characters truncated") {
			t.Errorf("%s: %d bytes, valid UTF-8 %v", name, len(s), utf8.ValidString(s))
		}
	}
	if !strings.HasPrefix(out.Summary, "HEAD") || !strings.HasSuffix(out.Summary, "TAIL") ||
		!strings.HasPrefix(out.Text, "start ") || !strings.HasSuffix(out.Text, "Error executing cell") {
		t.Error("truncation lost the head or the tail")
	}
}

func TestUpdateValidatedBeforeSending(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	for name, u := range map[string]github.CheckUpdate{
		"level":      {Title: "t", Summary: "s", Annotations: []github.Annotation{{Path: "a", Level: "error", Message: "m"}}},
		"no message": {Title: "t", Summary: "s", Annotations: []github.Annotation{{Path: "a", Level: "notice"}}},
		"no title":   {Summary: "s"},
		"status":     {Status: "done"},
		"completed":  {Status: "completed"},
		"conclusion": {Status: "in_progress", Conclusion: "success"},
	} {
		err := f.app.UpdateCheckRun(context.Background(), f.repo, 7, u)
		if err == nil || !strings.HasPrefix(err.Error(), "PATCH /repos/lsst-sqre/notebooks/check-runs/7: ") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if n := len(f.srv.Requests()); n != 0 {
		t.Errorf("%d requests sent for invalid updates", n)
	}
}

// A PATCH that failed with 502 is replayed with its whole body.
func TestPatchBodyReplayedOnRetry(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ctx := context.Background()
	id, err := f.app.CreateCheckRun(ctx, f.repo, "abc", "Mobu")
	if err != nil {
		t.Fatal(err)
	}
	f.srv.FailNext("PATCH", "/repos/lsst-sqre/notebooks/check-runs/", 502, nil, 2)
	f.srv.FailNext("PATCH", "/repos/lsst-sqre/notebooks/check-runs/", 0, nil, 1) // connection dropped
	anns := []github.Annotation{{Path: "a.ipynb", StartLine: 3, EndLine: 4, Level: "warning", Message: "slow"}}
	u := github.CheckUpdate{Status: "completed", Conclusion: "success", Title: "Mobu", Summary: "ok", Annotations: anns}
	if err := f.app.UpdateCheckRun(ctx, f.repo, id, u); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(f.sleeps.got()), "[1s 2s 4s]"; got != want {
		t.Errorf("sleeps %s, want %s", got, want)
	}
	r := f.srv.CheckRuns()[0]
	if len(r.History) != 2 || r.Status != "completed" || len(r.Annotations) != 1 || r.Annotations[0] != (testgithub.Annotation{
		Path: "a.ipynb", StartLine: 3, EndLine: 4, Level: "warning", Message: "slow"}) {
		t.Errorf("run after retries: %+v", r)
	}
}
