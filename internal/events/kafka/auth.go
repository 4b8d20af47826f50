package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// saslAuth is the configured SASL mechanism, tracking whether the latest
// exchange completed: a broker may refuse credentials by closing the
// connection, which kafka-go reports as a bare (unexpected) EOF.
type saslAuth struct {
	mech    sasl.Mechanism
	user    string
	pending atomic.Bool // the latest exchange started and did not complete
}

// newSASLAuth returns the configured SASL mechanism, nil without SASL.
func newSASLAuth(c Config) (*saslAuth, error) {
	if !c.usesSASL() {
		return nil, nil
	}
	a := &saslAuth{user: c.SASLUsername}
	var err error
	switch c.SASLMechanism {
	case MechanismPlain:
		a.mech = plain.Mechanism{Username: c.SASLUsername, Password: c.SASLPassword}
	case MechanismSCRAMSHA256:
		a.mech, err = scram.Mechanism(scram.SHA256, c.SASLUsername, c.SASLPassword)
	default:
		a.mech, err = scram.Mechanism(scram.SHA512, c.SASLUsername, c.SASLPassword)
	}
	if err != nil { // SASLprep refused the credentials; never echo them
		return nil, fmt.Errorf("preparing SASL %s credentials for %q: invalid characters", c.SASLMechanism, c.SASLUsername)
	}
	return a, nil
}

// mechanism is what the kafka-go transport uses (nil without SASL).
func (a *saslAuth) mechanism() sasl.Mechanism {
	if a == nil {
		return nil
	}
	return a
}

// Name implements sasl.Mechanism.
func (a *saslAuth) Name() string { return a.mech.Name() }

// Start implements sasl.Mechanism.
func (a *saslAuth) Start(ctx context.Context) (sasl.StateMachine, []byte, error) {
	a.pending.Store(true)
	sm, ir, err := a.mech.Start(ctx)
	if err != nil {
		return nil, nil, err
	}
	return &trackedSession{a: a, sm: sm}, ir, nil
}

type trackedSession struct {
	a  *saslAuth
	sm sasl.StateMachine
}

// Next implements sasl.StateMachine.
func (s *trackedSession) Next(ctx context.Context, challenge []byte) (bool, []byte, error) {
	done, resp, err := s.sm.Next(ctx, challenge)
	if done && err == nil {
		s.a.pending.Store(false)
	}
	return done, resp, err
}

// explain names a SASL authentication failure hidden behind err.
func (a *saslAuth) explain(err error) error {
	if a == nil || err == nil {
		return err
	}
	refused := errors.Is(err, kafka.SASLAuthenticationFailed)
	closed := (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) && a.pending.Load()
	if !refused && !closed {
		return err
	}
	return fmt.Errorf("SASL %s authentication as %q failed (check SASLUsername and SASLPassword): %w",
		a.mech.Name(), a.user, err)
}
