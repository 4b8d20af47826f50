package jupyter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
)

// ErrRedirect is a redirect mobu refuses to follow: outside the hub and lab
// URL spaces, or a loop.
var ErrRedirect = errors.New("refused redirect")

// browser is one bot user's emulated web browser for a Nublado hub, as the
// Rubin Nublado client does it: its own cookie jar, the Gafaelfawr token as
// a bearer token on every request, separate _xsrf tokens for the hub and the
// lab sent as X-XSRFToken, Sec-Fetch-Mode and Referer headers, and redirects
// followed by hand within the hub and lab URL spaces.
type browser struct {
	client  *http.Client // shared transport, own jar, no automatic redirects
	token   string
	user    string
	hubBase *url.URL // e.g. https://nb.example.org/nb (no trailing slash)
	labBase *url.URL // the hub base, or the user's own host once seen
	hubXSRF string
	labXSRF string
	log     *slog.Logger
}

func newBrowser(transport http.RoundTripper, hub *url.URL, user, token string, log *slog.Logger) *browser {
	jar, _ := cookiejar.New(nil) // cannot fail without options
	lab := *hub
	return &browser{
		client: &http.Client{Transport: transport, Jar: jar,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		token: token, user: user, hubBase: hub, labBase: &lab, log: log,
	}
}

func (b *browser) hubURL(route string) string { return b.hubBase.String() + "/" + route }

// isLabURL reports whether u is under the user's lab (…/user/<name>/).
func (b *browser) isLabURL(u *url.URL) bool {
	return u.Host == b.labBase.Host && strings.HasPrefix(u.Path, b.labBase.Path+"/user/")
}

// headers sets the credentials and browser headers of a request.
func (b *browser) headers(req *http.Request, fetchMode string, referer bool) {
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set("Sec-Fetch-Mode", fetchMode)
	xsrf := b.hubXSRF
	if b.isLabURL(req.URL) {
		xsrf = b.labXSRF
	}
	if xsrf != "" {
		req.Header.Set("X-XSRFToken", xsrf)
	}
	if referer {
		req.Header.Set("Referer", b.hubURL("hub/home"))
	}
}

// do sends one request (no redirect following) and records _xsrf cookies.
func (b *browser) do(ctx context.Context, method, rawURL string, body io.Reader, contentType, fetchMode string,
	referer bool) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, rawURL, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, rawURL, err)
	}
	b.headers(req, fetchMode, referer)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s %s: %w", method, req.URL.Path, ctx.Err())
		}
		return nil, fmt.Errorf("%s %s: %w: %w", method, req.URL.Path, ErrUnreachable, unwrapNet(err))
	}
	b.recordXSRF(resp)
	return resp, nil
}

// recordXSRF keeps the _xsrf cookie a response sets, for the hub or the lab.
func (b *browser) recordXSRF(resp *http.Response) {
	for _, c := range resp.Cookies() {
		if c.Name != "_xsrf" || c.Value == "" {
			continue
		}
		if b.isLabURL(resp.Request.URL) {
			b.labXSRF = c.Value
		} else {
			b.hubXSRF = c.Value
		}
	}
}

// get loads a page, following redirects that stay within the hub or the lab
// (a redirect to a host starting with "<user>." becomes the lab's host), and
// fails on a loop or a non-2xx end. The body of the final page is discarded.
func (b *browser) get(ctx context.Context, rawURL, fetchMode string, referer bool) error {
	visits := map[string]int{}
	for range 20 {
		resp, err := b.do(ctx, http.MethodGet, rawURL, nil, "", fetchMode, referer)
		if err != nil {
			return err
		}
		next, err := "", statusError(resp)
		if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
			next, err = b.follow(resp)
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil || next == "" {
			return err
		}
		if visits[next]++; visits[next] > 2 {
			return fmt.Errorf("%w: redirect loop at %s", ErrRedirect, next)
		}
		rawURL = next
	}
	return fmt.Errorf("%w: more than 20 redirects from %s", ErrRedirect, rawURL)
}

// follow resolves a redirect and checks it stays within Nublado.
func (b *browser) follow(resp *http.Response) (string, error) {
	loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
	if err != nil || resp.Header.Get("Location") == "" {
		return "", fmt.Errorf("%w: %s answered %d without a usable Location", ErrRedirect, resp.Request.URL.Path, resp.StatusCode)
	}
	if strings.HasPrefix(loc.Hostname(), b.user+".") && loc.Host != b.labBase.Host {
		b.labBase.Host = loc.Host // per-user subdomain: the lab lives there
		b.log.Debug("found the lab's own host", "host", loc.Host)
	}
	inHub := strings.HasPrefix(loc.String(), b.hubBase.String()+"/")
	inLab := strings.HasPrefix(loc.String(), b.labBase.String()+"/")
	if !inHub && !inLab {
		return "", fmt.Errorf("%w: %s redirected outside the hub and lab to %s", ErrRedirect, resp.Request.URL.Path, loc.Redacted())
	}
	return loc.String(), nil
}

// postForm posts a form to the hub and follows the redirect it answers with.
func (b *browser) postForm(ctx context.Context, route string, form url.Values) error {
	resp, err := b.do(ctx, http.MethodPost, b.hubURL(route), strings.NewReader(form.Encode()),
		"application/x-www-form-urlencoded", "same-origin", false)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		next, err := b.follow(resp)
		if err != nil {
			return err
		}
		return b.get(ctx, next, "same-origin", false)
	}
	return statusError(resp)
}

// statusError is nil for 2xx answers and an *HTTPError otherwise.
func statusError(resp *http.Response) error {
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	return newHTTPError(resp.Request, resp)
}

// cookieHeader renders the jar's cookies for a URL, for the websocket upgrade.
func (b *browser) cookieHeader(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	if u.Scheme == "ws" || u.Scheme == "wss" {
		u.Scheme = strings.Replace(u.Scheme, "ws", "http", 1)
	}
	var parts []string
	for _, c := range b.client.Jar.Cookies(u) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}
