// Package apps reports which Phalanx applications an environment knows and
// which of them are enabled, from a static list, the environment's Phalanx
// values files or Repertoire service discovery.
package apps

import (
	"context"
	"fmt"
)

// Source reports the environment's applications: name → enabled. Names
// mapped to false are known but disabled.
//
// Every call reads its source afresh (callers decide when to refresh) and
// returns a new map the caller may keep and change.
type Source interface {
	Applications(ctx context.Context) (map[string]bool, error)
}

// Static is a fixed list of applications, every one of them enabled.
type Static []string

// Applications returns each listed name enabled; an empty name is an error.
func (s Static) Applications(ctx context.Context) (map[string]bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("static applications: %w", err)
	}
	apps := make(map[string]bool, len(s))
	for i, name := range s {
		if name == "" {
			return nil, fmt.Errorf("static applications: entry %d is empty", i+1)
		}
		apps[name] = true
	}
	return apps, nil
}
