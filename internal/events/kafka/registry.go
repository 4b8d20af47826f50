package kafka

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
)

// rejectRetry is how long a schema the registry refused stays refused before
// it is offered again, so a rejecting registry is not hammered.
const rejectRetry = 5 * time.Minute

// registry wraps the schema registry client with mobu's conventions and
// error classification.
type registry struct {
	client *sr.Client
	http   *http.Client
	url    string // without credentials, for messages
}

// schemaRejectedError is a registry's permanent refusal (HTTP 400, 409, 422)
// of a schema or of a subject's configuration.
type schemaRejectedError struct {
	what string // e.g. "registering the schema of subject …"
	err  *sr.ResponseError
}

func (e *schemaRejectedError) Error() string {
	return fmt.Sprintf("%s: schema registry refused it (HTTP %d, error code %d): %v", e.what, e.err.StatusCode, e.err.ErrorCode, e.err)
}

func (e *schemaRejectedError) Unwrap() error { return e.err }

// newRegistry builds a client for rawURL; user information in the URL
// becomes basic authentication and is kept out of every message.
func newRegistry(rawURL string, timeout time.Duration) (*registry, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("schema registry URL %s: %w", redactURL(rawURL), err)
	}
	httpClient := &http.Client{Timeout: timeout, Transport: http.DefaultTransport.(*http.Transport).Clone()}
	opts := []sr.ClientOpt{sr.HTTPClient(httpClient), sr.UserAgent("mobu")}
	if u.User != nil {
		pass, _ := u.User.Password()
		opts = append(opts, sr.BasicAuth(u.User.Username(), pass))
		u.User = nil
	}
	opts = append(opts, sr.URLs(u.String()))
	client, err := sr.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("schema registry client for %s: %w", u, err)
	}
	return &registry{client: client, http: httpClient, url: u.String()}, nil
}

// close drops the idle connections to the registry.
func (r *registry) close() {
	if r != nil {
		r.http.CloseIdleConnections()
	}
}

// register sets subject's compatibility to NONE and registers schema under
// it, returning the schema id. A refusal is a *schemaRejectedError; any
// other error is transient.
func (r *registry) register(ctx context.Context, subject, schema string) (int, error) {
	res := r.client.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatNone}, subject)
	if err := res[0].Err; err != nil {
		return 0, r.classify("setting the compatibility of subject "+subject+" to NONE", err)
	}
	ss, err := r.client.CreateSchema(ctx, subject, sr.Schema{Schema: schema, Type: sr.TypeAvro})
	if err != nil {
		return 0, r.classify("registering the schema of subject "+subject, err)
	}
	return ss.ID, nil
}

// schema fetches the schema text with this id.
func (r *registry) schema(ctx context.Context, id int) (string, error) {
	s, err := r.client.SchemaByID(ctx, id)
	if err != nil {
		return "", fmt.Errorf("fetching schema id %d from schema registry %s: %w", id, r.url, err)
	}
	return s.Schema, nil
}

// ping checks the registry answers (GET /config).
func (r *registry) ping(ctx context.Context) error {
	res := r.client.Compatibility(ctx)
	if err := res[0].Err; err != nil {
		return fmt.Errorf("schema registry %s is not reachable: %w", r.url, err)
	}
	return nil
}

func (r *registry) classify(what string, err error) error {
	var re *sr.ResponseError
	if errors.As(err, &re) {
		switch re.StatusCode {
		case http.StatusBadRequest, http.StatusConflict, http.StatusUnprocessableEntity:
			return &schemaRejectedError{what: what, err: re}
		}
		return fmt.Errorf("%s: schema registry %s answered HTTP %d: %w", what, r.url, re.StatusCode, err)
	}
	return fmt.Errorf("%s: schema registry %s: %w", what, r.url, err)
}

// isNotFound reports a registry 404.
func isNotFound(err error) bool {
	var re *sr.ResponseError
	return errors.As(err, &re) && re.StatusCode == http.StatusNotFound
}
