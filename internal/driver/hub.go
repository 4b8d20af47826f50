package driver

import (
	"log/slog"
	"time"

	"github.com/mobu-dev/mobu/config"
	"github.com/mobu-dev/mobu/internal/flock"
	"github.com/mobu-dev/mobu/internal/jupyter"
	"github.com/mobu-dev/mobu/internal/notebook"
)

// Protocol maps the config's protocol name to the kernel websocket framing.
func Protocol(s string) jupyter.Protocol {
	switch s {
	case "v1":
		return jupyter.ProtocolV1
	case "legacy":
		return jupyter.ProtocolLegacy
	}
	return jupyter.ProtocolAuto
}

// Hub returns the lab factory of the plain JupyterHub driver: bots are hub
// users driven with the admin token (MOBU_HUB_TOKEN).
func Hub(c *config.JupyterHub, logger *slog.Logger) (flock.LabFactory, error) {
	hub, err := jupyter.NewHub(jupyter.HubConfig{URL: c.URL, Token: c.Token.Reveal(), Logger: logger})
	if err != nil {
		return nil, err
	}
	lifetime := c.TokenLifetime.D()
	if lifetime == 0 {
		lifetime = 7 * 24 * time.Hour
	}
	return func(u config.User, _ []string, o *config.LabOptions) (notebook.Lab, error) {
		opts := jupyter.UserOptions{KernelName: o.KernelName, TokenLifetime: lifetime,
			Kernel: kernelOptions(o)}
		opts.Kernel.Protocol = Protocol(c.Protocol)
		return Lab(hub.User(u.Username, opts)), nil
	}, nil
}

// kernelOptions are the kernel settings a flock's lab options give.
func kernelOptions(o *config.LabOptions) jupyter.KernelOptions {
	var k jupyter.KernelOptions
	if o.MaxWebsocketSize != nil {
		k.MaxMessage = *o.MaxWebsocketSize
	}
	return k
}
