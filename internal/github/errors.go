package github

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v88/github"
)

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// APIError is a GitHub REST API call answered with an error status. Its
// text names the call, e.g.
// "PATCH /repos/o/r/check-runs/7: 403 Resource not accessible by integration".
type APIError struct {
	Method, Path string // the call, Path relative to the API root
	StatusCode   int
	Message      string   // GitHub's "message"
	Details      []string // GitHub's "errors", rendered
	err          error
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	s := fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.StatusCode, msg)
	if len(e.Details) > 0 {
		s += " (" + strings.Join(e.Details, "; ") + ")"
	}
	return s
}

// Unwrap returns the underlying go-github or ghinstallation error.
func (e *APIError) Unwrap() error { return e.err }

// apiError turns what a go-github call returned into an error naming op
// ("METHOD /path"). Installation-token failures name the token call too.
func apiError(op string, resp *gh.Response, err error) error {
	method, path, _ := strings.Cut(op, " ")
	var tokErr *ghinstallation.HTTPError
	if errors.As(err, &tokErr) {
		return fmt.Errorf("%s: installation token: %w", op, tokenError(tokErr))
	}
	status := 0
	if resp != nil && resp.Response != nil {
		status = resp.StatusCode
	}
	var (
		er *gh.ErrorResponse
		rl *gh.RateLimitError
		ab *gh.AbuseRateLimitError
	)
	switch {
	case errors.As(err, &er):
		return &APIError{Method: method, Path: path, StatusCode: statusOf(status, er.Response),
			Message: er.Message, Details: details(er.Errors), err: err}
	case errors.As(err, &rl):
		return &APIError{Method: method, Path: path, StatusCode: statusOf(status, rl.Response),
			Message: rl.Message, err: err}
	case errors.As(err, &ab):
		return &APIError{Method: method, Path: path, StatusCode: statusOf(status, ab.Response),
			Message: ab.Message, err: err}
	}
	// Transport failures come wrapped in *url.Error, whose text repeats
	// the full URL; op already says which call it was.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("%s: %w", op, err)
}

func statusOf(status int, r *http.Response) int {
	if status == 0 && r != nil {
		return r.StatusCode
	}
	return status
}

// details renders GitHub's validation errors.
func details(errs []gh.Error) []string {
	var out []string
	for _, e := range errs {
		switch {
		case e.Message != "":
			out = append(out, e.Message)
		case e.Field != "":
			out = append(out, e.Field+": "+e.Code)
		case e.Code != "":
			out = append(out, e.Code)
		}
	}
	return out
}

// tokenError describes a failed POST /app/installations/{id}/access_tokens.
// ghinstallation leaves the response body open for inspection; it is read
// for GitHub's message and closed here.
func tokenError(e *ghinstallation.HTTPError) error {
	path := fmt.Sprintf("/app/installations/%d/access_tokens", e.InstallationID)
	if e.Response == nil {
		return fmt.Errorf("POST %s: %w", path, e.RootCause)
	}
	defer e.Response.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(e.Response.Body, maxErrorBody))
	var m struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(body, &m) // a non-JSON body leaves the status text
	return &APIError{Method: http.MethodPost, Path: path, StatusCode: e.Response.StatusCode,
		Message: m.Message, err: e}
}
