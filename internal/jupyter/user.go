package jupyter

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// UserOptions configures one bot user's lab operations.
type UserOptions struct {
	ServerName    string         // "" for the default server
	TokenLifetime time.Duration  // lifetime of the user's API token; 0 = no expiry
	SpawnOptions  map[string]any // user_options sent with the spawn request
	KernelName    string         // default "python3"
	SessionType   string         // "notebook" (default) or "console"
	OnProgress    func(Progress) // sees each spawn progress event
	Kernel        KernelOptions
	KernelReady   time.Duration // retry interval for kernel_info_request; default 2 s
}

// User drives one bot user's lab through the hub API with an admin token:
// Login, Spawn, OpenSession (any number), DeleteLab, Logout.
type User struct {
	hub   *Hub
	name  string
	opts  UserOptions
	token tokenModel
	lab   *Lab
}

// User returns a driver for the named bot user.
func (h *Hub) User(name string, opts UserOptions) *User {
	if opts.KernelName == "" {
		opts.KernelName = "python3"
	}
	if opts.SessionType == "" {
		opts.SessionType = "notebook"
	}
	if opts.KernelReady <= 0 {
		opts.KernelReady = 2 * time.Second
	}
	if opts.Kernel.Logger == nil {
		opts.Kernel.Logger = h.log.With("user", name)
	}
	return &User{hub: h, name: name, opts: opts}
}

// Name is the user's name.
func (u *User) Name() string { return u.name }

// Login makes sure the user exists and issues its API token.
func (u *User) Login(ctx context.Context) error {
	if err := u.hub.ensureUser(ctx, u.name); err != nil {
		return err
	}
	t, err := u.hub.createToken(ctx, u.name, u.opts.TokenLifetime)
	if err != nil {
		return err
	}
	u.token = t
	return nil
}

// Logout revokes the token Login issued.
func (u *User) Logout(ctx context.Context) error {
	if u.token.ID == "" {
		return nil
	}
	err := u.hub.revokeToken(ctx, u.name, u.token.ID)
	u.token = tokenModel{}
	return err
}

// Spawn starts the user's lab (or adopts one already running or starting)
// and waits until the hub reports it ready. ctx bounds the whole spawn.
func (u *User) Spawn(ctx context.Context) error {
	if u.token.Token == "" {
		return errors.New("spawning lab: not logged in")
	}
	if err := u.hub.startServer(ctx, u.name, u.opts.ServerName, u.opts.SpawnOptions); err != nil {
		return err
	}
	path, err := u.hub.waitReady(ctx, u.name, u.opts.ServerName, u.opts.OnProgress)
	if err != nil {
		return err
	}
	if path == "" {
		s, err := u.hub.server(ctx, u.name, u.opts.ServerName)
		if err != nil || s == nil {
			return fmt.Errorf("lab of %s ready but its URL is unknown: %v", u.name, err)
		}
		path = s.URL
	}
	lab, err := newLab(u.hub, path, u.token.Token)
	if err != nil {
		return err
	}
	u.lab = lab
	return nil
}

// DeleteLab stops the user's lab and waits until the hub no longer lists it.
func (u *User) DeleteLab(ctx context.Context) error {
	u.lab = nil
	return u.hub.stopServer(ctx, u.name, u.opts.ServerName)
}

// LabRunning reports whether the hub lists the user's server (running,
// starting or stopping), read with the admin token.
func (u *User) LabRunning(ctx context.Context) (bool, error) {
	s, err := u.hub.server(ctx, u.name, u.opts.ServerName)
	return s != nil, err
}

// Session is a kernel behind a Jupyter session, connected by websocket.
type Session struct {
	*Kernel
	lab *Lab
	id  string
	// KernelID identifies the kernel in the lab's REST API.
	KernelID string
}

// OpenSession creates a session (and so a kernel) at path, connects to its
// websocket and waits until the kernel answers kernel_info_request.
func (u *User) OpenSession(ctx context.Context, path string) (*Session, error) {
	if u.lab == nil {
		return nil, errors.New("opening kernel session: no lab (spawn first)")
	}
	return openSession(ctx, u.lab, sessionSpec{path: path, name: path, kernel: u.opts.KernelName,
		typ: u.opts.SessionType, kernelOpts: u.opts.Kernel, ready: u.opts.KernelReady})
}

// sessionSpec describes the session openSession creates.
type sessionSpec struct {
	path, name, kernel, typ string
	kernelOpts              KernelOptions
	ready                   time.Duration // kernel_info_request retry interval
}

// openSession creates a session in the lab, dials its kernel and waits for
// the kernel to answer; on failure it deletes the session again.
func openSession(ctx context.Context, lab *Lab, spec sessionSpec) (*Session, error) {
	sm, err := lab.createSession(ctx, spec.path, spec.name, spec.kernel, spec.typ)
	if err != nil {
		return nil, err
	}
	s := &Session{lab: lab, id: sm.ID, KernelID: sm.Kernel.ID}
	conn, session, err := lab.dialKernel(ctx, sm.Kernel.ID, spec.kernelOpts.Protocol)
	if err == nil {
		interrupt := func(ctx context.Context) error { return lab.interrupt(ctx, sm.Kernel.ID) }
		s.Kernel = newKernel(conn, session, interrupt, spec.kernelOpts)
		if err = s.Kernel.waitReady(ctx, spec.ready); err != nil {
			err = fmt.Errorf("starting kernel: %w", err)
		}
	}
	if err != nil {
		// ctx may be what expired: delete the session (and its kernel) anyway.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		s.Close(cctx)
		return nil, err
	}
	return s, nil
}

// Close disconnects the websocket and deletes the session and its kernel.
func (s *Session) Close(ctx context.Context) error {
	if s.Kernel != nil {
		s.Kernel.Close()
	}
	return s.lab.deleteSession(ctx, s.id)
}
