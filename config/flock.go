package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Flock is a flock specification: the body of PUT /flocks and one entry of
// autostart (mobu's FlockConfig).
type Flock struct {
	Name           string    `yaml:"name" json:"name"`
	Count          int       `yaml:"count" json:"count"`
	Users          []User    `yaml:"users" json:"users,omitempty"`
	UserSpec       *UserSpec `yaml:"user_spec" json:"user_spec,omitempty"`
	Scopes         []string  `yaml:"scopes" json:"scopes"`
	StartBatchSize int       `yaml:"start_batch_size" json:"start_batch_size,omitempty"`
	StartBatchWait *Duration `yaml:"start_batch_wait" json:"start_batch_wait,omitempty"`
	Business       Business  `yaml:"business" json:"business"`
}

// User is one bot user.
type User struct {
	Username  string  `yaml:"username" json:"username"`
	UIDNumber *int    `yaml:"uidnumber" json:"uidnumber,omitempty"`
	GIDNumber *int    `yaml:"gidnumber" json:"gidnumber,omitempty"`
	Groups    []Group `yaml:"groups" json:"groups,omitempty"`
}

// Group is a bot user's group.
type Group struct {
	Name string `yaml:"name" json:"name"`
	ID   int    `yaml:"id" json:"id"`
}

// UserSpec generates users: prefix + 1-based index, zero-padded.
type UserSpec struct {
	UsernamePrefix string  `yaml:"username_prefix" json:"username_prefix"`
	UIDStart       *int    `yaml:"uid_start" json:"uid_start,omitempty"`
	GIDStart       *int    `yaml:"gid_start" json:"gid_start,omitempty"`
	Groups         []Group `yaml:"groups" json:"groups,omitempty"`
}

// ParseFlock decodes and validates one flock from a YAML (or JSON) node.
func ParseFlock(n *yaml.Node) (*Flock, Problems) {
	f := &Flock{}
	problems := decodeStrict(n, f)
	problems = append(problems, f.decodeOptions()...)
	problems = merge(problems, f.Validate())
	if len(problems) > 0 {
		return nil, problems
	}
	return f, nil
}

// merge adds validation problems, except at paths where decoding already
// failed (the value there is a leftover default, not what was written).
func merge(decoded, validated Problems) Problems {
	bad := map[string]bool{}
	for _, p := range decoded {
		bad[p.Path()] = true
	}
	for _, p := range validated {
		if !bad[p.Path()] {
			decoded = append(decoded, p)
		}
	}
	return decoded
}

// decodeOptions decodes business.options into the type's options struct.
func (f *Flock) decodeOptions() Problems {
	loc := []any{"business", "type"}
	switch {
	case f.Business.Type == "":
		return Problems{{Loc: loc, Msg: "required (one of " + strings.Join(BusinessTypes, ", ") + ")"}}
	case unsupportedTypes[f.Business.Type]:
		return Problems{{Loc: loc, Msg: fmt.Sprintf("business type %q is not supported by this mobu (supported: %s)",
			f.Business.Type, strings.Join(BusinessTypes, ", "))}}
	}
	opts := newOptions(f.Business.Type)
	if opts == nil {
		return Problems{{Loc: loc, Msg: fmt.Sprintf("unknown business type %q (one of %s)",
			f.Business.Type, strings.Join(BusinessTypes, ", "))}}
	}
	f.Business.Options = opts
	if f.Business.Raw.Kind == 0 {
		return nil
	}
	ps := decodeStrict(&f.Business.Raw, opts, "business", "options")
	for i, p := range ps {
		if strings.HasPrefix(p.Msg, "unknown key") {
			ps[i].Msg = strings.Replace(p.Msg, "unknown key", "unknown option for "+f.Business.Type, 1)
		}
	}
	return ps
}

// UserList returns all the flock's users, generated from user_spec if needed.
func (f *Flock) UserList() []User {
	if f.UserSpec == nil {
		return f.Users
	}
	s := f.UserSpec
	width := int(math.Floor(math.Log10(float64(f.Count)))) + 1
	users := make([]User, f.Count)
	for i := range users {
		u := User{Username: fmt.Sprintf("%s%0*d", s.UsernamePrefix, width, i+1), Groups: s.Groups}
		if s.UIDStart != nil {
			uid := *s.UIDStart + i
			u.UIDNumber = &uid
		}
		if s.GIDStart != nil {
			gid := *s.GIDStart + i
			u.GIDNumber = &gid
		} else if u.UIDNumber != nil {
			u.GIDNumber = u.UIDNumber
		}
		users[i] = u
	}
	return users
}

var (
	flockName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)
	botName   = regexp.MustCompile(`^bot-[a-z0-9](?:[a-z0-9]|-[a-z0-9])*$`)
)

// checkUsername applies mobu's rule (bot-mobu prefix) and Gafaelfawr's.
func checkUsername(c checker, name string) {
	switch {
	case !strings.HasPrefix(name, "bot-mobu"):
		c.fail("must start with bot-mobu (got %q)", name)
	case len(name) > 64 || !botName.MatchString(name):
		c.fail("must be lower-case letters, digits and single hyphens, at most 64 characters (got %q)", name)
	}
}

// ParseFlockJSON decodes and validates a flock from a JSON body (PUT /flocks).
func ParseFlockJSON(data []byte) (*Flock, Problems) {
	n, ps := jsonNode(data)
	if ps != nil {
		return nil, ps
	}
	return ParseFlock(n)
}

// jsonNode parses a JSON document into a YAML node for the strict decoder.
func jsonNode(data []byte) (*yaml.Node, Problems) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, Problems{{Msg: "malformed JSON: " + err.Error()}}
	}
	if dec.More() {
		return nil, Problems{{Msg: "malformed JSON: more than one value"}}
	}
	var n yaml.Node
	if err := n.Encode(jsonNumbers(v)); err != nil {
		return nil, Problems{{Msg: "malformed JSON: " + err.Error()}}
	}
	return &n, nil
}

// jsonNumbers turns json.Number values into int64 or float64 so the YAML node
// carries numbers, not strings.
func jsonNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = jsonNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = jsonNumbers(e)
		}
	}
	return v
}

// Solitary is the body of POST /run: one monkey, one execution.
type Solitary struct {
	User     User     `yaml:"user" json:"user"`
	Scopes   []string `yaml:"scopes" json:"scopes"`
	Business Business `yaml:"business" json:"business"`
}

// ParseSolitaryJSON decodes and validates a solitary run request.
func ParseSolitaryJSON(data []byte) (*Solitary, Problems) {
	n, ps := jsonNode(data)
	if ps != nil {
		return nil, ps
	}
	s := &Solitary{}
	ps = decodeStrict(n, s)
	f := Flock{Business: s.Business}
	ps = append(ps, f.decodeOptions()...)
	s.Business = f.Business
	var vs Problems
	c := checker{problems: &vs}
	checkUsername(c.at("user", "username"), s.User.Username)
	validateGroups(c.at("user", "groups"), s.User.Groups)
	validateOptions(c.at("business", "options"), s.Business.Options)
	if ps = merge(ps, vs); len(ps) > 0 {
		return nil, ps
	}
	return s, nil
}
