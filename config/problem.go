package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Problem is one configuration error at a path in the YAML or JSON document.
type Problem struct {
	Loc  []any  // path elements: string keys and int indexes
	Line int    // source line (YAML), 0 when unknown
	Msg  string // what is wrong, with the bad value
}

// Path renders Loc as autostart[1].business.options.repo_url.
func (p Problem) Path() string {
	var b strings.Builder
	for _, e := range p.Loc {
		switch v := e.(type) {
		case int:
			b.WriteString("[" + strconv.Itoa(v) + "]")
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

func (p Problem) Error() string {
	s := p.Msg
	if path := p.Path(); path != "" {
		s = path + ": " + s
	}
	if p.Line > 0 {
		s += fmt.Sprintf(" (line %d)", p.Line)
	}
	return s
}

// Problems is every problem found; as an error it lists them one per line.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns ps as an error, or nil when there are none.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// under prefixes every problem's location (e.g. with autostart[2]).
func (ps Problems) under(prefix ...any) Problems {
	out := make(Problems, len(ps))
	for i, p := range ps {
		p.Loc = append(append([]any{}, prefix...), p.Loc...)
		out[i] = p
	}
	return out
}

// checker collects validation problems relative to a location.
type checker struct {
	loc      []any
	problems *Problems
}

func (c checker) at(elems ...any) checker {
	return checker{loc: append(append([]any{}, c.loc...), elems...), problems: c.problems}
}

func (c checker) fail(format string, args ...any) {
	*c.problems = append(*c.problems, Problem{Loc: c.loc, Msg: fmt.Sprintf(format, args...)})
}

func (c checker) check(ok bool, format string, args ...any) {
	if !ok {
		c.fail(format, args...)
	}
}
