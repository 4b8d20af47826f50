package jupyter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mobu-dev/mobu/internal/ctxtime"
)

// TokenSource supplies a bot user's Gafaelfawr token (minted once, reused).
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// NubladoConfig configures the client of a Nublado hub behind Gafaelfawr.
type NubladoConfig struct {
	URL       string            // hub base, e.g. https://nb.example.org/nb (Repertoire's services.ui.nublado.url)
	Transport http.RoundTripper // shared by every user; default NewTransport
	Dialer    *websocket.Dialer // default newDialer
	Logger    *slog.Logger
}

// Nublado is the shared part of the Nublado driver.
type Nublado struct {
	base      *url.URL
	transport http.RoundTripper
	dialer    *websocket.Dialer
	log       *slog.Logger
}

// NewNublado validates the configuration.
func NewNublado(cfg NubladoConfig) (*Nublado, error) {
	u, err := url.Parse(strings.TrimRight(cfg.URL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("nublado url %q: must be an absolute http(s) URL", cfg.URL)
	}
	n := &Nublado{base: u, transport: cfg.Transport, dialer: cfg.Dialer, log: cfg.Logger}
	if n.transport == nil {
		n.transport = NewTransport()
	}
	if n.dialer == nil {
		n.dialer = newDialer()
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	return n, nil
}

// Image selects a Nublado lab image and size (the spawn form).
type Image struct {
	Class     string // recommended, latest-release, latest-weekly, latest-daily, by-tag, by-reference
	Tag       string // for by-tag
	Reference string // for by-reference
	Size      string
	Debug     bool
}

// form renders the spawn form: exactly one image selector, the size, debug.
func (i Image) form() url.Values {
	v := url.Values{}
	switch i.Class {
	case "by-tag":
		v.Set("image_tag", i.Tag)
	case "by-reference":
		v.Set("image_list", i.Reference)
	default:
		v.Set("image_class", i.Class)
	}
	v.Set("size", i.Size)
	if i.Debug {
		v.Set("enable_debug", "true")
	}
	return v
}

// NubladoOptions configures one user's Nublado driver.
type NubladoOptions struct {
	Image       Image
	SpawnSettle time.Duration  // wait after the spawn POST before reading progress (KubeSpawner 1.1.0 bug)
	KernelName  string         // default "LSST"
	OnProgress  func(Progress) // sees each spawn progress event
	Kernel      KernelOptions  // Protocol is always v1 on Nublado
	KernelReady time.Duration  // retry interval for kernel_info_request; default 2 s
}

// NubladoUser drives one bot user's lab as a browser would, with its
// Gafaelfawr token: Login, Spawn, OpenSession, DeleteLab, Logout.
type NubladoUser struct {
	n      *Nublado
	name   string
	tokens TokenSource
	opts   NubladoOptions
	b      *browser
	lab    *Lab
}

// User returns the driver for a bot user.
func (n *Nublado) User(name string, tokens TokenSource, opts NubladoOptions) *NubladoUser {
	if opts.KernelName == "" {
		opts.KernelName = "LSST"
	}
	if opts.KernelReady <= 0 {
		opts.KernelReady = 2 * time.Second
	}
	opts.Kernel.Protocol = ProtocolV1
	if opts.Kernel.Logger == nil {
		opts.Kernel.Logger = n.log.With("user", name)
	}
	return &NubladoUser{n: n, name: name, tokens: tokens, opts: opts}
}

// Name is the user's name.
func (u *NubladoUser) Name() string { return u.name }

// Login starts a fresh browser (a new cookie jar: stale XSRF cookies are a
// known source of errors) and loads the hub's home page, which logs in.
func (u *NubladoUser) Login(ctx context.Context) error {
	token, err := u.tokens.Token(ctx)
	if err != nil {
		return fmt.Errorf("getting the Gafaelfawr token of %s: %w", u.name, err)
	}
	u.b, u.lab = newBrowser(u.n.transport, u.n.base, u.name, token, u.n.log.With("user", u.name)), nil
	if err := u.b.get(ctx, u.b.hubURL("hub/home"), "navigate", false); err != nil {
		return fmt.Errorf("logging %s in to the hub: %w", u.name, err)
	}
	if u.b.hubXSRF == "" {
		return fmt.Errorf("logging %s in to the hub: JupyterHub set no _xsrf cookie", u.name)
	}
	return nil
}

// Logout forgets the browser's cookies.
func (u *NubladoUser) Logout(context.Context) error {
	u.b, u.lab = nil, nil
	return nil
}

// Spawn asks for a lab through the spawn form, follows its progress, then
// logs in to the lab (finding its host and its _xsrf token).
func (u *NubladoUser) Spawn(ctx context.Context) error {
	if u.b == nil {
		return errors.New("spawning lab: not logged in")
	}
	if err := u.b.get(ctx, u.b.hubURL("hub/spawn"), "navigate", false); err != nil {
		return fmt.Errorf("loading the spawn page of %s: %w", u.name, err)
	}
	if err := u.b.postForm(ctx, "hub/spawn", u.opts.Image.form()); err != nil {
		return fmt.Errorf("posting the spawn form of %s: %w", u.name, err)
	}
	if err := ctxtime.Sleep(ctx, u.opts.SpawnSettle); err != nil {
		return fmt.Errorf("lab of %s not ready: %w", u.name, err)
	}
	if err := u.waitReady(ctx); err != nil {
		return err
	}
	return u.labLogin(ctx)
}

// waitReady follows the hub's progress stream.
func (u *NubladoUser) waitReady(ctx context.Context) error {
	route := "hub/api/users/" + url.PathEscape(u.name) + "/server/progress"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.b.hubURL(route), nil)
	if err != nil {
		return err
	}
	u.b.headers(req, "same-origin", true)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := u.b.client.Do(req)
	if err != nil {
		return fmt.Errorf("reading spawn progress of %s: %w: %w", u.name, ErrUnreachable, unwrapNet(err))
	}
	defer resp.Body.Close()
	if err := statusError(resp); err != nil {
		return fmt.Errorf("reading spawn progress of %s: %w", u.name, err)
	}
	_, err = readProgress(ctx, resp.Body, u.name, u.opts.OnProgress)
	return err
}

// labLogin loads the lab's page, which runs the hub's OAuth redirects, sets
// the lab's cookies and _xsrf, and reveals a per-user lab host.
func (u *NubladoUser) labLogin(ctx context.Context) error {
	page := u.b.labBase.String() + "/user/" + url.PathEscape(u.name) + "/lab"
	if err := u.b.get(ctx, page, "navigate", false); err != nil {
		return fmt.Errorf("logging %s in to the lab: %w", u.name, err)
	}
	if u.b.labXSRF == "" {
		return fmt.Errorf("logging %s in to the lab: JupyterLab set no _xsrf cookie", u.name)
	}
	base := u.b.labBase.String() + "/user/" + url.PathEscape(u.name)
	ws, _ := url.Parse(base)
	ws.Scheme = map[string]string{"http": "ws", "https": "wss"}[ws.Scheme]
	b := u.b
	u.lab = &Lab{
		rest:   requester{client: b.client, base: base, auth: func(req *http.Request) { b.headers(req, "same-origin", false) }},
		wsBase: ws.String(), dialer: u.n.dialer, log: u.n.log,
		wsHeader: func(wsURL string) http.Header {
			return http.Header{"Authorization": {"Bearer " + b.token}, "X-XSRFToken": {b.labXSRF}, "Sec-Fetch-Mode": {"websocket"},
				"Cookie": {b.cookieHeader(wsURL)}}
		},
	}
	return nil
}

// OpenSession creates a console session with a new kernel and connects to
// it over the v1 websocket protocol.
func (u *NubladoUser) OpenSession(ctx context.Context, name string) (*Session, error) {
	if u.lab == nil {
		return nil, errors.New("opening kernel session: no lab (spawn first)")
	}
	return openSession(ctx, u.lab, sessionSpec{path: newPathID(), name: name, kernel: u.opts.KernelName,
		typ: "console", kernelOpts: u.opts.Kernel, ready: u.opts.KernelReady})
}

// LabRunning reports whether the hub lists a server of the user (mobu's
// is_lab_stopped, negated): the user's own model, read as the browser
// after Login.
func (u *NubladoUser) LabRunning(ctx context.Context) (bool, error) {
	if u.b == nil {
		return false, errors.New("checking for a lab: not logged in")
	}
	stopped, err := u.labStopped(ctx)
	return !stopped, err
}

// DeleteLab stops the lab and waits until the hub lists no server.
func (u *NubladoUser) DeleteLab(ctx context.Context) error {
	if u.b == nil {
		return errors.New("deleting lab: not logged in")
	}
	u.lab = nil
	if stopped, err := u.labStopped(ctx); err != nil || stopped {
		return err
	}
	route := "hub/api/users/" + url.PathEscape(u.name) + "/server"
	resp, err := u.b.do(ctx, http.MethodDelete, u.b.hubURL(route), nil, "", "same-origin", true)
	if err != nil {
		return fmt.Errorf("stopping lab of %s: %w", u.name, err)
	}
	err = statusError(resp)
	resp.Body.Close()
	if err != nil && statusOf(err) != http.StatusNotFound {
		return fmt.Errorf("stopping lab of %s: %w", u.name, err)
	}
	return u.waitStopped(ctx)
}

func (u *NubladoUser) waitStopped(ctx context.Context) error {
	wait := 100 * time.Millisecond
	for {
		stopped, err := u.labStopped(ctx)
		if err != nil || stopped {
			return err
		}
		if err := ctxtime.Sleep(ctx, wait); err != nil {
			return fmt.Errorf("stopping lab of %s: lab still running: %w", u.name, err)
		}
		wait = min(wait*2, 2*time.Second)
	}
}

// labStopped reads the user's model: the lab is gone when servers is {}.
func (u *NubladoUser) labStopped(ctx context.Context) (bool, error) {
	route := "hub/api/users/" + url.PathEscape(u.name)
	resp, err := u.b.do(ctx, http.MethodGet, u.b.hubURL(route), nil, "", "same-origin", true)
	if err != nil {
		return false, fmt.Errorf("reading user %s: %w", u.name, err)
	}
	defer resp.Body.Close()
	if err := statusError(resp); err != nil {
		return false, fmt.Errorf("reading user %s: %w", u.name, err)
	}
	var m struct {
		Servers map[string]json.RawMessage `json:"servers"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&m); err != nil {
		return false, fmt.Errorf("reading user %s: %w", u.name, err)
	}
	return len(m.Servers) == 0, nil
}
