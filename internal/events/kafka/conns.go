package kafka

import (
	"context"
	"errors"
	"net"
	"sync"
)

// conns dials the broker connections of one sink and remembers them, so
// Close can end them: kafka-go's writer otherwise waits, at Close, for
// requests to a hung broker until WriteTimeout for every attempt, long past
// any shutdown deadline. By the time the sink closes, every Write has
// returned (and the queue spooled what it did not confirm), so nothing the
// caller counts on is lost by cutting them.
type conns struct {
	mu     sync.Mutex
	open   map[*trackedConn]struct{}
	closed bool
}

var errSinkClosed = errors.New("kafka sink closed")

// dial is a kafka.Transport Dial function.
func (c *conns) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		nc.Close()
		return nil, errSinkClosed
	}
	if c.open == nil {
		c.open = map[*trackedConn]struct{}{}
	}
	tc := &trackedConn{Conn: nc, owner: c}
	c.open[tc] = struct{}{}
	return tc, nil
}

// closeAll ends every open connection and refuses new ones.
func (c *conns) closeAll() {
	c.mu.Lock()
	c.closed = true
	open := c.open
	c.open = nil
	c.mu.Unlock()
	for tc := range open {
		tc.Conn.Close()
	}
}

// trackedConn forgets itself when closed.
type trackedConn struct {
	net.Conn
	owner *conns
}

func (t *trackedConn) Close() error {
	t.owner.mu.Lock()
	delete(t.owner.open, t)
	t.owner.mu.Unlock()
	return t.Conn.Close()
}
