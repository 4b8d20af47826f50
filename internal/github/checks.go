package github

import (
	"context"
	"errors"
	"fmt"
	"slices"

	gh "github.com/google/go-github/v88/github"
)

// Checks API limits and values (docs: "Update a check run").
const (
	// MaxOutputChars bounds output.summary and output.text.
	MaxOutputChars = 65535
	// MaxAnnotationsPerRequest bounds output.annotations per request;
	// GitHub appends the annotations of successive updates.
	MaxAnnotationsPerRequest = 50
	maxAnnotationTitle       = 255
	maxAnnotationMessage     = 64 << 10

	waitingSummary = "Waiting for mobu to run…"
)

// Annotation is a check run annotation on a file's lines.
type Annotation struct {
	Path               string
	StartLine, EndLine int
	Level              string // notice|warning|failure
	Title, Message     string
}

// CheckUpdate is a change to a check run. Empty fields are not sent.
// Summary and Text are truncated to MaxOutputChars; Annotations are sent
// MaxAnnotationsPerRequest at a time.
type CheckUpdate struct {
	Status      string // queued|in_progress|completed
	Conclusion  string // success|failure|neutral|cancelled|skipped|timed_out|action_required
	Title       string
	Summary     string
	Text        string
	Annotations []Annotation
}

// checkRunPatch is the PATCH body. go-github's UpdateCheckRunOptions always
// sends "name" (no omitempty), which would blank or reject the name, so the
// body is built here and sent through go-github's NewRequest/Do.
type checkRunPatch struct {
	Status      string        `json:"status,omitempty"`
	Conclusion  string        `json:"conclusion,omitempty"`
	CompletedAt *gh.Timestamp `json:"completed_at,omitempty"`
	Output      *patchOutput  `json:"output,omitempty"`
}

type patchOutput struct {
	Title       string            `json:"title"`
	Summary     string            `json:"summary"`
	Text        string            `json:"text,omitempty"`
	Annotations []patchAnnotation `json:"annotations,omitempty"`
}

type patchAnnotation struct {
	Path      string `json:"path"`
	StartLine int    `json:"start_line"`
	EndLine   int    `json:"end_line"`
	Level     string `json:"annotation_level"`
	Message   string `json:"message"`
	Title     string `json:"title,omitempty"`
}

// CreateCheckRun creates a queued check run called name on headSHA, with
// output title name and a waiting summary, and returns its id.
func (a *App) CreateCheckRun(ctx context.Context, r Repo, headSHA, name string) (int64, error) {
	op := "POST /" + r.repoPath() + "/check-runs"
	if headSHA == "" || name == "" {
		return 0, fmt.Errorf("%s: head sha and name are required", op)
	}
	opts := gh.CreateCheckRunOptions{
		Name:      name,
		HeadSHA:   headSHA,
		Status:    gh.Ptr("queued"),
		StartedAt: &gh.Timestamp{Time: a.now().UTC()},
		Output:    &gh.CheckRunOutput{Title: gh.Ptr(name), Summary: gh.Ptr(waitingSummary)},
	}
	var id int64
	err := a.call(ctx, r, op, func(c *gh.Client) (*gh.Response, error) {
		run, resp, err := c.Checks.CreateCheckRun(ctx, r.Owner, r.Name, opts)
		id = run.GetID()
		return resp, err
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// UpdateCheckRun applies u to check run id. The first PATCH carries the
// status, conclusion, completed_at (when completing) and the first
// annotations; each further PATCH carries the same output title, summary
// and text and the next annotations. It stops at the first failed PATCH.
func (a *App) UpdateCheckRun(ctx context.Context, r Repo, id int64, u CheckUpdate) error {
	op := fmt.Sprintf("PATCH /%s/check-runs/%d", r.repoPath(), id)
	patches, err := a.patches(u)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	path := fmt.Sprintf("%s/check-runs/%d", r.repoPath(), id)
	for _, p := range patches {
		err := a.call(ctx, r, op, func(c *gh.Client) (*gh.Response, error) {
			req, err := c.NewRequest(ctx, "PATCH", path, p)
			if err != nil {
				return nil, err
			}
			return c.Do(req, nil)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// patches validates u and splits it into PATCH bodies.
func (a *App) patches(u CheckUpdate) ([]checkRunPatch, error) {
	if err := validateStatus(u.Status, u.Conclusion); err != nil {
		return nil, err
	}
	anns, err := annotations(u.Annotations)
	if err != nil {
		return nil, err
	}
	first := checkRunPatch{Status: u.Status, Conclusion: u.Conclusion}
	if u.Status == "completed" || u.Conclusion != "" {
		first.CompletedAt = &gh.Timestamp{Time: a.now().UTC()}
	}
	if u.Title == "" && u.Summary == "" && u.Text == "" && len(anns) == 0 {
		return []checkRunPatch{first}, nil
	}
	if u.Title == "" || u.Summary == "" {
		return nil, errors.New("output needs a title and a summary")
	}
	out := patchOutput{
		Title:   u.Title,
		Summary: truncateMiddle(u.Summary, MaxOutputChars),
		Text:    truncateMiddle(u.Text, MaxOutputChars),
	}
	chunks := slices.Collect(slices.Chunk(anns, MaxAnnotationsPerRequest))
	if len(chunks) == 0 {
		chunks = [][]patchAnnotation{nil}
	}
	patches := make([]checkRunPatch, len(chunks))
	for i, chunk := range chunks {
		o := out
		o.Annotations = chunk
		if i == 0 {
			patches[0] = first
		}
		patches[i].Output = &o
	}
	return patches, nil
}

func validateStatus(status, conclusion string) error {
	switch status {
	case "", "queued", "in_progress", "completed":
	default:
		return fmt.Errorf("invalid status %q", status)
	}
	switch conclusion {
	case "":
		if status == "completed" {
			return errors.New("status completed needs a conclusion")
		}
	case "success", "failure", "neutral", "cancelled", "skipped", "timed_out", "action_required":
		if status != "" && status != "completed" {
			return fmt.Errorf("conclusion %q needs status completed, not %q", conclusion, status)
		}
	default:
		return fmt.Errorf("invalid conclusion %q", conclusion)
	}
	return nil
}

// annotations checks and normalises annotations to what GitHub accepts.
func annotations(in []Annotation) ([]patchAnnotation, error) {
	out := make([]patchAnnotation, 0, len(in))
	for i, a := range in {
		switch a.Level {
		case "notice", "warning", "failure":
		default:
			return nil, fmt.Errorf("annotation %d: invalid level %q", i, a.Level)
		}
		if a.Path == "" || a.Message == "" {
			return nil, fmt.Errorf("annotation %d: path and message are required", i)
		}
		p := patchAnnotation{
			Path: a.Path, StartLine: max(a.StartLine, 1), Level: a.Level,
			Message: truncateMiddle(a.Message, maxAnnotationMessage),
			Title:   truncateEnd(a.Title, maxAnnotationTitle),
		}
		p.EndLine = max(a.EndLine, p.StartLine)
		out = append(out, p)
	}
	return out, nil
}
