// Package api serves mobu's REST API over HTTP with echo: flock management
// (start, replace, stop, pause, refresh), monkey data and logs, summaries,
// solitary runs and a hand-written OpenAPI document. It is a thin adapter:
// every decision is the flock manager's, and domain errors become HTTP
// statuses in one place (errors.go).
package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/flock"
)

// Manager is what the API needs of the flock manager; *flock.Manager
// satisfies it.
type Manager interface {
	Start(ctx context.Context, cfg *config.Flock) (*flock.Flock, error)
	Get(name string) (*flock.Flock, error)
	Names() []string
	Delete(name string) error
	Summaries() []flock.Summary
	RunSolitary(ctx context.Context, s *config.Solitary) (flock.SolitaryResult, error)
}

// Metadata describes the service (GET / and GET {prefix}/).
type Metadata struct {
	Name             string `json:"name"`
	Version          string `json:"version"`
	Description      string `json:"description"`
	RepositoryURL    string `json:"repository_url"`
	DocumentationURL string `json:"documentation_url"`
}

// Options configures a Server.
type Options struct {
	Manager  Manager
	Prefix   string // URL prefix of the API, not the root; default "/mobu"
	Metadata Metadata
	// Token, if set, is required as "Authorization: Bearer <Token>" on every
	// route under Prefix except GET {Prefix}/ and the OpenAPI document.
	Token     string
	BodyLimit string       // largest request body, echo syntax; default "1M"
	Logger    *slog.Logger // request and error log; default discards
	// Metrics, if set, serves Prometheus metrics at the unprefixed /metrics
	// (public, like the readiness probe, for scrapers inside the cluster).
	Metrics http.Handler
	// Events, if set, reports event delivery counts in GET {prefix}/summary.
	Events func() any
	// CI, if set, reports the CI app's workers and queue in the summary.
	CI func() any
	// RefreshWebhook and CIWebhook, when set, add the GitHub apps' routes
	// {prefix}/github/refresh/webhook and {prefix}/github/ci/webhook.
	RefreshWebhook, CIWebhook *Webhook
	// PprofToken, if set, serves Go's profiles at the unprefixed
	// /debug/pprof/ to requests with "Authorization: Bearer <PprofToken>"
	// (403 otherwise); unset, those routes do not exist.
	PprofToken string
}

// Server is the HTTP API.
type Server struct {
	opts    Options
	log     *slog.Logger
	e       *echo.Echo
	openapi []byte // the OpenAPI document, paths under opts.Prefix
	// streams ends when EndStreams is called; streaming responses end with it.
	streams    context.Context
	endStreams context.CancelFunc
}

// New builds the server and registers its routes.
func New(opts Options) *Server {
	opts.Prefix = strings.TrimRight(opts.Prefix, "/")
	if opts.Prefix == "" {
		opts.Prefix = "/mobu"
	}
	if opts.BodyLimit == "" {
		opts.BodyLimit = "1M"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, log: opts.Logger, e: echo.New()}
	s.streams, s.endStreams = context.WithCancel(context.Background())
	s.e.HideBanner = true
	s.e.HidePort = true
	s.e.HTTPErrorHandler = s.handleError
	s.e.Use(s.logRequests, middleware.BodyLimit(opts.BodyLimit))
	s.openapi = openAPIDocument(opts.Prefix, opts.Metadata)
	s.register()
	return s
}

// Handler returns the HTTP handler (the echo instance).
func (s *Server) Handler() http.Handler { return s.e }

// EndStreams ends every streaming response (log followers) cleanly, now and
// for requests that arrive later. http.Server.Shutdown waits for running
// handlers without cancelling them, so register it with
// http.Server.RegisterOnShutdown.
func (s *Server) EndStreams() { s.endStreams() }
