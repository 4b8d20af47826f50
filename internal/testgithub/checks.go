package testgithub

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// GitHub's Checks API limits.
const (
	maxOutputChars       = 65535
	maxAnnotationsPerReq = 50
)

// Output is a check run's output text.
type Output struct {
	Title   string `json:"title"`
	Summary string `json:"summary"`
	Text    string `json:"text"`
}

// Annotation is a check run annotation as sent to GitHub.
type Annotation struct {
	Path      string `json:"path"`
	StartLine int    `json:"start_line"`
	EndLine   int    `json:"end_line"`
	Level     string `json:"annotation_level"`
	Title     string `json:"title"`
	Message   string `json:"message"`
}

// CheckRun is a check run's current state and its history.
type CheckRun struct {
	ID          int64
	Owner, Repo string
	AppID       int64 // the app that created it
	Name        string
	HeadSHA     string
	Status      string
	Conclusion  string
	StartedAt   time.Time
	CompletedAt time.Time
	Output      Output
	Annotations []Annotation // every annotation received, in order
	History     []CheckRunState
}

// CheckRunState is one accepted create (POST) or update (PATCH).
type CheckRunState struct {
	Method      string // POST or PATCH
	Status      string // the run's status after this request
	Conclusion  string // the run's conclusion after this request
	StartedAt   time.Time
	CompletedAt time.Time    // as sent; zero when absent
	Output      *Output      // as sent; nil when absent
	Annotations []Annotation // sent with this request
	Body        json.RawMessage
}

// checkRunRequest is a POST or PATCH body; pointers tell absent from empty.
type checkRunRequest struct {
	Name        *string    `json:"name"`
	HeadSHA     *string    `json:"head_sha"`
	Status      *string    `json:"status"`
	Conclusion  *string    `json:"conclusion"`
	StartedAt   *time.Time `json:"started_at"`
	CompletedAt *time.Time `json:"completed_at"`
	Output      *struct {
		Title       *string      `json:"title"`
		Summary     *string      `json:"summary"`
		Text        *string      `json:"text"`
		Annotations []Annotation `json:"annotations"`
	} `json:"output"`
}

// CheckRuns returns copies of every check run, by id.
func (s *Server) CheckRuns() []CheckRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]CheckRun, 0, len(s.checkRuns))
	for _, c := range s.checkRuns {
		out = append(out, c.clone())
	}
	slices.SortFunc(out, func(a, b CheckRun) int { return int(a.ID - b.ID) })
	return out
}

func (c *CheckRun) clone() CheckRun {
	d := *c
	d.Annotations = slices.Clone(c.Annotations)
	d.History = make([]CheckRunState, len(c.History))
	for i, h := range c.History {
		h.Annotations = slices.Clone(h.Annotations)
		if h.Output != nil {
			o := *h.Output
			h.Output = &o
		}
		h.Body = slices.Clone(h.Body)
		d.History[i] = h
	}
	return d
}

// createCheckRun is POST /repos/{owner}/{repo}/check-runs.
func (s *Server) createCheckRun(w http.ResponseWriter, r *http.Request) {
	body, req, ok := decodeCheckRun(w, r)
	if !ok {
		return
	}
	if req.Name == nil || *req.Name == "" || req.HeadSHA == nil || *req.HeadSHA == "" {
		invalid(w, "\"name\" and \"head_sha\" are required.")
		return
	}
	if msg := validate(req); msg != "" {
		invalid(w, msg)
		return
	}
	s.mu.Lock()
	s.nextRunID++
	run := &CheckRun{ID: s.nextRunID, Owner: r.PathValue("owner"), Repo: r.PathValue("repo"),
		AppID: s.appID, Name: *req.Name, HeadSHA: *req.HeadSHA, Status: "queued"}
	s.checkRuns[run.ID] = run
	run.apply("POST", req, body)
	resp := s.runJSON(run)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, resp)
}

// updateCheckRun is PATCH /repos/{owner}/{repo}/check-runs/{id}.
func (s *Server) updateCheckRun(w http.ResponseWriter, r *http.Request) {
	body, req, ok := decodeCheckRun(w, r)
	if !ok {
		return
	}
	if req.Name != nil && *req.Name == "" {
		invalid(w, "\"name\" can't be blank.")
		return
	}
	if msg := validate(req); msg != "" {
		invalid(w, msg)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	run := s.lookup(r)
	if run == nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	if req.Name != nil {
		run.Name = *req.Name
	}
	run.apply("PATCH", req, body)
	writeJSON(w, http.StatusOK, s.runJSON(run))
}

// getCheckRun is GET /repos/{owner}/{repo}/check-runs/{id}.
func (s *Server) getCheckRun(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	run := s.lookup(r)
	if run == nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	writeJSON(w, http.StatusOK, s.runJSON(run))
}

// lookup finds the request's check run in its repository; s.mu is held.
func (s *Server) lookup(r *http.Request) *CheckRun {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	run := s.checkRuns[id]
	if run == nil || run.Owner != r.PathValue("owner") || run.Repo != r.PathValue("repo") {
		return nil
	}
	return run
}

func decodeCheckRun(w http.ResponseWriter, r *http.Request) (json.RawMessage, *checkRunRequest, bool) {
	body, err := io.ReadAll(r.Body)
	var req checkRunRequest
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON")
		return nil, nil, false
	}
	return body, &req, true
}

func invalid(w http.ResponseWriter, detail string) {
	writeError(w, http.StatusUnprocessableEntity, "Invalid request.\n\n"+detail)
}

// validate applies GitHub's documented rules to a create or update.
func validate(req *checkRunRequest) string {
	status, conclusion := deref(req.Status), deref(req.Conclusion)
	if req.Status != nil && !slices.Contains([]string{"queued", "in_progress", "completed"}, status) {
		return fmt.Sprintf("For 'properties/status', %q is not a member of enum.", status)
	}
	if req.Conclusion != nil && !slices.Contains([]string{"success", "failure", "neutral",
		"cancelled", "skipped", "timed_out", "action_required"}, conclusion) {
		return fmt.Sprintf("For 'properties/conclusion', %q is not a member of enum.", conclusion)
	}
	if status == "completed" && conclusion == "" {
		return "\"conclusion\" wasn't supplied."
	}
	if o := req.Output; o != nil {
		if o.Title == nil || o.Summary == nil {
			return "\"title\", \"summary\" weren't supplied."
		}
		if utf8.RuneCountInString(*o.Summary) > maxOutputChars || utf8.RuneCountInString(deref(o.Text)) > maxOutputChars {
			return fmt.Sprintf("Output summary and text are limited to %d characters.", maxOutputChars)
		}
		if len(o.Annotations) > maxAnnotationsPerReq {
			return fmt.Sprintf("Only %d annotations are allowed per request.", maxAnnotationsPerReq)
		}
		for _, a := range o.Annotations {
			if a.Path == "" || a.Message == "" || a.StartLine < 1 || a.EndLine < a.StartLine ||
				!slices.Contains([]string{"notice", "warning", "failure"}, a.Level) {
				return "An annotation needs path, start_line, end_line, annotation_level (notice, warning, failure) and message."
			}
		}
	}
	return ""
}

// apply records an accepted request; s.mu is held.
func (c *CheckRun) apply(method string, req *checkRunRequest, body json.RawMessage) {
	st := CheckRunState{Method: method, Body: body}
	if req.Status != nil {
		c.Status = *req.Status
	}
	if req.Conclusion != nil {
		c.Conclusion, c.Status = *req.Conclusion, "completed"
	}
	if req.StartedAt != nil {
		c.StartedAt, st.StartedAt = *req.StartedAt, *req.StartedAt
	}
	if req.CompletedAt != nil {
		c.CompletedAt, st.CompletedAt = *req.CompletedAt, *req.CompletedAt
	}
	if o := req.Output; o != nil {
		c.Output = Output{Title: *o.Title, Summary: *o.Summary, Text: deref(o.Text)}
		out := c.Output
		st.Output = &out
		st.Annotations = o.Annotations
		c.Annotations = append(c.Annotations, o.Annotations...)
	}
	st.Status, st.Conclusion = c.Status, c.Conclusion
	c.History = append(c.History, st)
}

// runJSON renders a check run like GitHub; s.mu is held.
func (s *Server) runJSON(c *CheckRun) map[string]any {
	api := s.URL() + fmt.Sprintf("repos/%s/%s/check-runs/%d", c.Owner, c.Repo, c.ID)
	return map[string]any{
		"id": c.ID, "node_id": fmt.Sprintf("CR_%d", c.ID), "name": c.Name, "head_sha": c.HeadSHA,
		"status": c.Status, "conclusion": nullable(c.Conclusion),
		"started_at": timeOrNull(c.StartedAt), "completed_at": timeOrNull(c.CompletedAt),
		"url":      api,
		"html_url": fmt.Sprintf("https://github.com/%s/%s/runs/%d", c.Owner, c.Repo, c.ID),
		"output": map[string]any{
			"title": nullable(c.Output.Title), "summary": nullable(c.Output.Summary), "text": nullable(c.Output.Text),
			"annotations_count": len(c.Annotations), "annotations_url": api + "/annotations",
		},
		"check_suite":   map[string]any{"id": c.ID * 10},
		"app":           s.appJSON(c.AppID),
		"pull_requests": []any{},
	}
}

// appJSON is a check run's app: this server's ("mobu") or another.
func (s *Server) appJSON(id int64) map[string]any {
	slug := "mobu"
	if id != s.appID {
		slug = fmt.Sprintf("other-app-%d", id)
	}
	return map[string]any{"id": id, "slug": slug}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func timeOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}
