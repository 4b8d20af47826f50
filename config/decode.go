package config

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// decodeStrict decodes n into the value v points to, collecting a Problem for
// every unknown key, duplicate key and type mismatch (with path and line)
// instead of stopping at the first. Fields not present keep their values, so
// callers pre-fill defaults. Struct fields are matched by their yaml tag and
// by the comma-separated names in an `alias` tag; `,inline` structs are
// flattened; a yaml.Node field captures its value raw.
func decodeStrict(n *yaml.Node, v any, loc ...any) Problems {
	d := &strictDecoder{}
	d.decode(n, reflect.ValueOf(v).Elem(), loc)
	return d.problems
}

type strictDecoder struct{ problems Problems }

var (
	nodeType        = reflect.TypeFor[yaml.Node]()
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	yamlErrPrefix   = regexp.MustCompile(`^(yaml: )?(unmarshal errors:\n\s*)?(line \d+: )?`)
)

func (d *strictDecoder) fail(n *yaml.Node, loc []any, format string, args ...any) {
	d.problems = append(d.problems, Problem{Loc: slices.Clone(loc), Line: n.Line, Msg: fmt.Sprintf(format, args...)})
}

func (d *strictDecoder) decode(n *yaml.Node, v reflect.Value, loc []any) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			d.decode(n.Content[0], v, loc)
		}
		return
	case yaml.AliasNode:
		d.decode(n.Alias, v, loc)
		return
	}
	if v.Type() == nodeType {
		v.Set(reflect.ValueOf(*n))
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		v.SetZero()
		return
	}
	if reflect.PointerTo(v.Type()).Implements(unmarshalerType) {
		if err := n.Decode(v.Addr().Interface()); err != nil {
			d.fail(n, loc, "%s", cleanYAMLError(err))
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), loc)
	case reflect.Struct:
		d.decodeStruct(n, v, loc)
	case reflect.Slice:
		d.decodeSlice(n, v, loc)
	case reflect.Map:
		d.decodeMap(n, v, loc)
	default:
		d.decodeScalar(n, v, loc)
	}
}

func (d *strictDecoder) decodeStruct(n *yaml.Node, v reflect.Value, loc []any) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, loc, "must be a mapping, got %s", describe(n))
		return
	}
	fields := structFields(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		idx, ok := fields[key.Value]
		kloc := append(slices.Clone(loc), key.Value)
		switch {
		case !ok:
			d.fail(key, kloc, "unknown key%s", suggest(key.Value, fields))
			continue
		case seen[fmt.Sprint(idx)]:
			d.fail(key, kloc, "duplicate key")
			continue
		}
		seen[fmt.Sprint(idx)] = true
		d.decode(val, v.FieldByIndex(idx), kloc)
	}
}

func (d *strictDecoder) decodeSlice(n *yaml.Node, v reflect.Value, loc []any) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, loc, "must be a list, got %s", describe(n))
		v.Set(reflect.MakeSlice(v.Type(), 0, 0)) // present, so presence checks stay quiet
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, s.Index(i), append(slices.Clone(loc), i))
	}
	v.Set(s)
}

func (d *strictDecoder) decodeMap(n *yaml.Node, v reflect.Value, loc []any) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, loc, "must be a mapping, got %s", describe(n))
		v.Set(reflect.MakeMap(v.Type())) // present, so presence checks stay quiet
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := reflect.New(v.Type().Key()).Elem()
		kloc := append(slices.Clone(loc), n.Content[i].Value)
		d.decode(n.Content[i], key, kloc)
		val := reflect.New(v.Type().Elem()).Elem()
		d.decode(n.Content[i+1], val, kloc)
		m.SetMapIndex(key, val)
	}
	v.Set(m)
}

func (d *strictDecoder) decodeScalar(n *yaml.Node, v reflect.Value, loc []any) {
	if n.Kind != yaml.ScalarNode && v.Kind() != reflect.Interface {
		d.fail(n, loc, "must be %s, got %s", kindName(v.Kind()), describe(n))
		return
	}
	if err := n.Decode(v.Addr().Interface()); err != nil {
		d.fail(n, loc, "must be %s, got %s", kindName(v.Kind()), describe(n))
	}
}

// structFields maps every accepted key of a struct type to its field index.
func structFields(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if opts == "inline" {
			for k, idx := range structFields(f.Type) {
				out[k] = append([]int{i}, idx...)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = []int{i}
		for alias := range strings.SplitSeq(f.Tag.Get("alias"), ",") {
			if alias != "" {
				out[alias] = []int{i}
			}
		}
	}
	return out
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%q", n.Value)
}

func kindName(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a " + k.String()
}

func cleanYAMLError(err error) string {
	return yamlErrPrefix.ReplaceAllString(err.Error(), "")
}

// suggest names the closest known key, if one is close.
func suggest(key string, fields map[string][]int) string {
	best, bestDist := "", 4
	for k := range fields {
		if d := editDistance(strings.ToLower(key), strings.ToLower(k)); d < bestDist || d == bestDist && k < best {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
