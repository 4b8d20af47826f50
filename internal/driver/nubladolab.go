package driver

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/mobu-dev/mobu/internal/gafaelfawr"
	"github.com/mobu-dev/mobu/internal/jupyter"
	"github.com/mobu-dev/mobu/internal/notebook"
)

// nubladoLab is one bot's Nublado driver: its user is made at the first
// login, once the platform's URLs are known. Close releases the bot token.
type nubladoLab struct {
	p     *platform
	name  string
	token tokenSource
	opts  jupyter.NubladoOptions
	u     *jupyter.NubladoUser
}

var errNotLoggedIn = errors.New("not logged in")

func (l *nubladoLab) Login(ctx context.Context) error {
	if l.u == nil {
		hub, _, err := l.p.clients(ctx)
		if err != nil {
			return err
		}
		l.u = hub.User(l.name, l.token, l.opts)
	}
	err := l.u.Login(ctx)
	if s := statusOf(err); s == http.StatusUnauthorized || s == http.StatusForbidden {
		l.token.forget() // revoked or expired: mint a new one at the next login
	}
	return err
}

func (l *nubladoLab) Spawn(ctx context.Context) error {
	if l.u == nil {
		return errNotLoggedIn
	}
	return l.u.Spawn(ctx)
}

func (l *nubladoLab) OpenSession(ctx context.Context, name string) (notebook.Session, error) {
	if l.u == nil {
		return nil, errNotLoggedIn
	}
	return Lab(l.u).OpenSession(ctx, name)
}

func (l *nubladoLab) DeleteLab(ctx context.Context) error {
	if l.u == nil {
		return errNotLoggedIn
	}
	return l.u.DeleteLab(ctx)
}

// LabRunning implements notebook.LabProbe.
func (l *nubladoLab) LabRunning(ctx context.Context) (bool, error) {
	if l.u == nil {
		return false, errNotLoggedIn
	}
	return l.u.LabRunning(ctx)
}

func (l *nubladoLab) Logout(ctx context.Context) error {
	if l.u == nil {
		return nil
	}
	return l.u.Logout(ctx)
}

// Close revokes the bot's token (unless tokens are left to expire).
func (l *nubladoLab) Close() error { return l.token.Close() }

func statusOf(err error) int {
	var he *jupyter.HTTPError
	if errors.As(err, &he) {
		return he.Status
	}
	return 0
}

// tokenSource is a bot's credential: minted, or fixed.
type tokenSource interface {
	jupyter.TokenSource
	forget() // the platform refused the token
	Close() error
}

// fixedToken is a token from the tokens file.
type fixedToken string

func (f fixedToken) Token(context.Context) (string, error) { return string(f), nil }
func (fixedToken) forget()                                 {}
func (fixedToken) Close() error                            { return nil }

// botToken mints a bot's Gafaelfawr token on first use and keeps it.
type botToken struct {
	p      *platform
	user   gafaelfawr.User
	scopes []string
	revoke bool
	log    *slog.Logger

	mu    sync.Mutex
	token string
}

// Token implements jupyter.TokenSource.
func (t *botToken) Token(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != "" {
		return t.token, nil
	}
	_, gf, err := t.p.clients(ctx)
	if err != nil {
		return "", err
	}
	tok, id, err := gf.Mint(ctx, t.user, t.scopes)
	if err != nil {
		return "", err
	}
	t.log.Info("minted bot token", "uid", id.UID, "gid", id.GID, "groups", len(id.Groups))
	t.token = tok
	return tok, nil
}

// forget drops a token the platform refused.
func (t *botToken) forget() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.token = ""
}

// Close revokes the token, when configured to and one was minted.
func (t *botToken) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.revoke || t.token == "" {
		return nil
	}
	_, gf, err := t.p.clients(context.Background())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = gf.Revoke(ctx, t.user.Username, t.token)
	t.token = ""
	return err
}
