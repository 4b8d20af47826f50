package testnublado

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

const clientTimeout = 3 * time.Minute

// bot is a hand-written Nublado client that behaves like the real one
// (lsst-sqre/nublado client _http.py): bearer token everywhere, a cookie jar,
// manual redirects confined to the hub and lab URL space, X-XSRFToken from
// the _xsrf cookies, Sec-Fetch-Mode and Referer where the browser sends them.
type bot struct {
	t       testing.TB
	srv     *Server
	user    string
	token   string
	hubBase string // http://127.0.0.1:P/nb
	labBase string // hubBase, or http://<user>.nb.test:P/nb once discovered
	jar     http.CookieJar
	http    *http.Client
	hubXSRF string
	labXSRF string
	noXSRF  bool // misbehave: never send X-XSRFToken
}

func newBot(t testing.TB, srv *Server, user, token string) *bot {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{DialContext: srv.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &bot{t: t, srv: srv, user: user, token: token, hubBase: srv.URL(), labBase: srv.URL(), jar: jar,
		http: &http.Client{Jar: jar, Transport: tr, Timeout: clientTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// url maps a route ("hub/…" or "user/…") to its URL.
func (b *bot) url(route string) string {
	if strings.HasPrefix(route, "user/") {
		return b.labBase + "/" + route
	}
	return b.hubBase + "/" + route
}

// headers are the Nublado client's _headers_for.
func (b *bot) headers(route, mode string, referer bool) http.Header {
	h := http.Header{"Authorization": {"Bearer " + b.token}, "Sec-Fetch-Mode": {mode}}
	xsrf := b.hubXSRF
	if strings.HasPrefix(route, "user/") {
		xsrf = b.labXSRF
	}
	if xsrf != "" && !b.noXSRF {
		h.Set("X-XSRFToken", xsrf)
	}
	if referer {
		h.Set("Referer", b.hubBase+"/hub/home")
	}
	return h
}

// send sends one request and picks up _xsrf cookies from the answer.
func (b *bot) send(method, u string, h http.Header, body string) (*http.Response, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return nil, err
	}
	req.Header = h.Clone()
	resp, err := b.http.Do(req)
	if err != nil {
		return nil, err
	}
	for _, c := range resp.Cookies() {
		if c.Name != "_xsrf" {
			continue
		}
		if strings.HasPrefix(u, b.labBase+"/user/") {
			b.labXSRF = c.Value
		} else {
			b.hubXSRF = c.Value
		}
	}
	return resp, nil
}

// do sends a request and follows redirects with GET, like the Nublado client:
// a redirect to a host starting with "<user>." becomes the lab base, any
// other redirect must stay in the hub or lab URL space, and a URL seen more
// than twice is a loop. It returns the final status and body.
func (b *bot) do(method, route string, h http.Header, body string) (int, []byte, error) {
	u := b.url(route)
	seen := map[string]int{}
	for {
		resp, err := b.send(method, u, h, body)
		if err != nil {
			return 0, nil, err
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if err != nil || resp.StatusCode < 300 || resp.StatusCode >= 400 || loc == "" {
			return resp.StatusCode, data, err
		}
		next, err := resp.Request.URL.Parse(loc)
		if err != nil {
			return 0, nil, err
		}
		if strings.HasPrefix(next.Hostname(), b.user+".") {
			b.labBase = next.Scheme + "://" + next.Host + basePath
		}
		u, method, body = next.String(), http.MethodGet, ""
		if !strings.HasPrefix(u, b.hubBase) && !strings.HasPrefix(u, b.labBase) {
			return 0, nil, fmt.Errorf("unexpected redirect to %s", u)
		}
		if seen[u]++; seen[u] > 2 {
			return 0, nil, fmt.Errorf("redirect loop at %s", u)
		}
	}
}

// expect runs do and fails the test unless the final status is want.
func (b *bot) expect(want int, method, route string, h http.Header, body string) []byte {
	b.t.Helper()
	status, data, err := b.do(method, route, h, body)
	if err != nil || status != want {
		b.t.Fatalf("%s %s: status %d (err %v), want %d; body: %s\nviolations: %q",
			method, route, status, err, want, data, b.srv.Violations())
	}
	return data
}

// loginHub is auth_to_hub: GET hub/home as a page load.
func (b *bot) loginHub() error {
	status, body, err := b.do(http.MethodGet, "hub/home", b.headers("hub/home", "navigate", false), "")
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("hub/home: status %d: %s", status, body)
	}
	return err
}

// spawn is spawn_lab: GET hub/spawn, then POST the form.
func (b *bot) spawn(form url.Values) (int, []byte, error) {
	b.expect(http.StatusOK, http.MethodGet, "hub/spawn", b.headers("hub/spawn", "navigate", false), "")
	h := b.headers("hub/spawn", "same-origin", false)
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(http.MethodPost, "hub/spawn", h, form.Encode())
}

// progress reads the spawn progress stream and returns its last event.
func (b *bot) progress() map[string]any {
	b.t.Helper()
	route := "hub/api/users/" + b.user + "/server/progress"
	h := b.headers(route, "same-origin", true)
	h.Set("Accept", "text/event-stream")
	resp, err := b.send(http.MethodGet, b.url(route), h, "")
	if err != nil || resp.StatusCode != http.StatusOK {
		b.t.Fatalf("progress: %v %v", resp, err)
	}
	defer resp.Body.Close()
	var last map[string]any
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data:"); ok {
			var ev map[string]any
			if json.Unmarshal([]byte(data), &ev) == nil {
				last = ev
			}
		}
	}
	return last
}

// loginLab is auth_to_lab: GET user/<u>/lab as a page load.
func (b *bot) loginLab() {
	b.t.Helper()
	route := "user/" + b.user + "/lab"
	b.labBase = b.hubBase
	b.expect(http.StatusOK, http.MethodGet, route, b.headers(route, "navigate", false), "")
}

// api calls a JSON API route (same-origin; Referer on hub routes).
func (b *bot) api(want int, method, route string, body any) map[string]any {
	b.t.Helper()
	h := b.headers(route, "same-origin", strings.HasPrefix(route, "hub/"))
	payload := ""
	if body != nil {
		data, _ := json.Marshal(body)
		payload = string(data)
		h.Set("Content-Type", "application/json")
	}
	data := b.expect(want, method, route, h, payload)
	var m map[string]any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &m); err != nil {
			b.t.Fatalf("%s %s: %v: %s", method, route, err, data)
		}
	}
	return m
}

// dialKernel opens the kernel socket like open_websocket: bearer, cookies,
// X-XSRFToken, Sec-Fetch-Mode same-origin, and the given subprotocols.
func (b *bot) dialKernel(kernelID string, protocols ...string) (*websocket.Conn, *http.Response, error) {
	route := "user/" + b.user + "/api/kernels/" + kernelID + "/channels"
	d := websocket.Dialer{NetDialContext: b.srv.DialContext, Jar: b.jar, Subprotocols: protocols,
		HandshakeTimeout: clientTimeout}
	ws := "ws" + strings.TrimPrefix(b.url(route), "http") + "?session_id=" + b.user + "-session"
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	return d.DialContext(ctx, ws, b.headers(route, "same-origin", false))
}
