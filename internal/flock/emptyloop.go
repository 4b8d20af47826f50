package flock

import (
	"context"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
)

// emptyLoop does nothing and succeeds each time (EmptyLoop): a check of
// mobu itself and its event pipeline.
type emptyLoop struct{ env Env }

// NewEmptyLoop is the EmptyLoop factory.
func NewEmptyLoop(env Env) (Business, error) { return &emptyLoop{env: env}, nil }

func (e *emptyLoop) Startup(context.Context) error  { return nil }
func (e *emptyLoop) Shutdown(context.Context) error { return nil }
func (e *emptyLoop) Refresh()                       {}
func (e *emptyLoop) Status() BusinessStatus         { return BusinessStatus{} }

func (e *emptyLoop) Execute(context.Context) error {
	e.env.Publisher.Publish(&events.EmptyLoop{
		Base:    events.NewBase(time.Now(), e.env.Flock, e.env.Business.Type, e.env.User.Username),
		Success: true,
	})
	return nil
}
