package notebook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Notebook is a parsed nbformat v4 notebook: its code cells in order.
type Notebook struct {
	Path       string          // as given to Parse/ReadFile
	Cells      []Cell          // code cells only, in document order
	KernelName string          // metadata.kernelspec.name, "" if absent
	Metadata   json.RawMessage // the notebook's top-level metadata object, raw ({} if absent); later: metadata.mobu.required_applications
}

// Cell is one code cell.
type Cell struct {
	ID              string // nbformat cell id (4.5+), else strconv.Itoa(Number)
	Number          int    // 1-based index among code cells (as JupyterLab shows)
	Source          string // source joined without separators
	Skip            bool   // tagged skip-execution
	RaisesException bool   // tagged raises-exception
	Outputs         int    // entries in the stored outputs list
	ExecutionCount  int    // stored execution_count, 0 if null or absent
}

// ParseError reports a file that is not a usable nbformat v4 notebook.
type ParseError struct {
	Path   string // as given to Parse/ReadFile
	Line   int    // 1-based line of invalid JSON, 0 if n/a
	Column int    // 1-based column (in characters) of invalid JSON, 0 if n/a
	Cell   int    // 1-based index in the notebook's "cells" array (any cell type), 0 if n/a
	Err    error  // the underlying problem
}

// Error returns e.g. "notebook x.ipynb: cell 3: source must be a string or a
// list of strings" or "notebook bad.ipynb: invalid JSON at line 3, column 7: ...".
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("notebook " + e.Path + ": ")
	if e.Cell > 0 {
		fmt.Fprintf(&b, "cell %d: ", e.Cell)
	}
	if e.Line > 0 {
		var serr *json.SyntaxError
		if errors.As(e.Err, &serr) {
			b.WriteString("invalid JSON ")
		}
		fmt.Fprintf(&b, "at line %d, column %d: ", e.Line, e.Column)
	}
	if e.Err == nil {
		b.WriteString("invalid notebook")
	} else {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// utf8BOM is stripped from the start of a notebook before parsing.
const utf8BOM = "\xef\xbb\xbf"

// Parse parses an nbformat v4 notebook (any minor version). Every error it
// returns is a *ParseError; path is used only in results and messages.
func Parse(path string, data []byte) (*Notebook, error) {
	p := &nbParser{path: path, data: bytes.TrimPrefix(data, []byte(utf8BOM))}
	top, err := p.topLevel()
	if err != nil {
		return nil, err
	}
	if err := p.checkFormat(nbJSON(top["nbformat"])); err != nil {
		return nil, err
	}
	nb := &Notebook{Path: path}
	if err := p.metadata(nb, nbJSON(top["metadata"])); err != nil {
		return nil, err
	}
	if nb.Cells, err = p.cells(nbJSON(top["cells"])); err != nil {
		return nil, err
	}
	return nb, nil
}

// ReadFile reads and parses the notebook at path. Errors reading the file
// name the path and wrap the os error; parse errors are *ParseError.
func ReadFile(path string) (*Notebook, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var perr *fs.PathError
		if errors.As(err, &perr) && perr.Path == path {
			err = perr.Err // avoid naming the path twice
		}
		return nil, fmt.Errorf("notebook %s: %w", path, err)
	}
	return Parse(path, data)
}

// nbParser holds the input of one Parse call.
type nbParser struct {
	path string
	data []byte
}

// fail returns a *ParseError about cell (0: the whole notebook).
func (p *nbParser) fail(cell int, format string, args ...any) error {
	return &ParseError{Path: p.path, Cell: cell, Err: fmt.Errorf(format, args...)}
}

// topLevel decodes the top-level JSON object into its raw fields.
func (p *nbParser) topLevel() (map[string]json.RawMessage, error) {
	var top map[string]json.RawMessage
	err := json.Unmarshal(p.data, &top)
	var serr *json.SyntaxError
	if errors.As(err, &serr) {
		return nil, p.syntaxError(serr)
	}
	if err != nil || top == nil { // *json.UnmarshalTypeError, or null
		return nil, p.fail(0, "top level must be a JSON object, not %s", nbJSON(bytes.TrimSpace(p.data)).kind())
	}
	return top, nil
}

// syntaxError locates serr in the input.
func (p *nbParser) syntaxError(serr *json.SyntaxError) error {
	pos := int(serr.Offset)
	if serr.Error() != "unexpected end of JSON input" {
		pos-- // Offset counts the offending byte; point at it
	}
	line, col := lineColumn(p.data, pos)
	return &ParseError{Path: p.path, Line: line, Column: col, Err: serr}
}

// lineColumn returns the 1-based line and column (in characters) of byte
// offset pos in data; pos is clamped to [0, len(data)].
func lineColumn(data []byte, pos int) (line, column int) {
	pos = min(max(pos, 0), len(data))
	before := data[:pos]
	start := bytes.LastIndexByte(before, '\n') + 1
	return bytes.Count(before, []byte{'\n'}) + 1, utf8.RuneCount(before[start:]) + 1
}

// checkFormat requires "nbformat": 4.
func (p *nbParser) checkFormat(raw nbJSON) error {
	if raw == nil {
		return p.fail(0, "missing nbformat field (need 4)")
	}
	var n json.Number
	if raw.kind() != "number" || json.Unmarshal(raw, &n) != nil {
		return p.fail(0, "nbformat must be an integer")
	}
	v, err := n.Int64()
	if err != nil {
		return p.fail(0, "nbformat must be an integer")
	}
	if v != 4 {
		return p.fail(0, "nbformat %d is not supported (need 4)", v)
	}
	return nil
}

// metadata sets nb.Metadata and nb.KernelName from the top-level metadata.
func (p *nbParser) metadata(nb *Notebook, raw nbJSON) error {
	if raw.absent() {
		nb.Metadata = json.RawMessage("{}")
		return nil
	}
	meta, ok := raw.object()
	if !ok {
		return p.fail(0, "metadata must be an object")
	}
	nb.Metadata = json.RawMessage(raw)
	spec := nbJSON(meta["kernelspec"])
	if spec.absent() {
		return nil
	}
	fields, ok := spec.object()
	if !ok {
		return p.fail(0, "metadata.kernelspec must be an object")
	}
	name := nbJSON(fields["name"])
	if name.absent() {
		return nil
	}
	if nb.KernelName, ok = name.string(); !ok {
		return p.fail(0, "metadata.kernelspec.name must be a string")
	}
	return nil
}

// cells returns the code cells of the "cells" array.
func (p *nbParser) cells(raw nbJSON) ([]Cell, error) {
	if raw == nil {
		return nil, p.fail(0, "missing cells field")
	}
	items, ok := raw.list()
	if !ok {
		return nil, p.fail(0, "cells must be a list")
	}
	cells := make([]Cell, 0, len(items))
	for i, item := range items {
		cell, isCode, err := p.cell(i+1, len(cells)+1, nbJSON(item))
		if err != nil {
			return nil, err
		}
		if isCode {
			cells = append(cells, cell)
		}
	}
	return cells, nil
}

// cell parses entry index of "cells"; isCode is false for any cell that is
// not a code cell, which is otherwise ignored.
func (p *nbParser) cell(index, number int, raw nbJSON) (cell Cell, isCode bool, err error) {
	fields, ok := raw.object()
	if !ok {
		return Cell{}, false, p.fail(index, "must be an object")
	}
	cellType := nbJSON(fields["cell_type"])
	if cellType == nil {
		return Cell{}, false, p.fail(index, "missing cell_type")
	}
	kind, ok := cellType.string()
	if !ok {
		return Cell{}, false, p.fail(index, "cell_type must be a string")
	}
	if kind != "code" {
		return Cell{}, false, nil
	}
	cell = Cell{Number: number}
	if cell.Source, err = p.source(index, nbJSON(fields["source"])); err != nil {
		return Cell{}, false, err
	}
	if cell.ID, err = p.cellID(index, number, nbJSON(fields["id"])); err != nil {
		return Cell{}, false, err
	}
	if err = p.tags(index, &cell, nbJSON(fields["metadata"])); err != nil {
		return Cell{}, false, err
	}
	if err = p.stored(index, &cell, fields); err != nil {
		return Cell{}, false, err
	}
	return cell, true, nil
}

// stored sets the cell's Outputs and ExecutionCount from what the notebook
// kept of its last run: an absent outputs list counts as empty, a null or
// absent execution_count as 0.
func (p *nbParser) stored(index int, cell *Cell, fields map[string]json.RawMessage) error {
	if raw := nbJSON(fields["outputs"]); raw != nil {
		outputs, ok := raw.list()
		if !ok {
			return p.fail(index, "outputs must be a list")
		}
		cell.Outputs = len(outputs)
	}
	raw := nbJSON(fields["execution_count"])
	if raw.absent() {
		return nil
	}
	var n json.Number
	if raw.kind() != "number" || json.Unmarshal(raw, &n) != nil {
		return p.fail(index, "execution_count must be a non-negative integer or null")
	}
	count, err := strconv.ParseInt(n.String(), 10, 0)
	if err != nil || count < 0 {
		return p.fail(index, "execution_count must be a non-negative integer or null")
	}
	cell.ExecutionCount = int(count)
	return nil
}

// source joins a multiline string: a string or a list of strings.
func (p *nbParser) source(index int, raw nbJSON) (string, error) {
	if raw == nil {
		return "", p.fail(index, "missing source")
	}
	if s, ok := raw.string(); ok {
		return s, nil
	}
	if lines, ok := raw.strings(); ok {
		return strings.Join(lines, ""), nil
	}
	return "", p.fail(index, "source must be a string or a list of strings")
}

// cellID returns the cell's id, or its number when it has none.
func (p *nbParser) cellID(index, number int, raw nbJSON) (string, error) {
	if raw.absent() {
		return strconv.Itoa(number), nil
	}
	id, ok := raw.string()
	if !ok {
		return "", p.fail(index, "id must be a string")
	}
	if id == "" {
		return strconv.Itoa(number), nil
	}
	return id, nil
}

// tags sets the cell's flags from metadata.tags.
func (p *nbParser) tags(index int, cell *Cell, raw nbJSON) error {
	if raw.absent() {
		return nil
	}
	meta, ok := raw.object()
	if !ok {
		return p.fail(index, "metadata must be an object")
	}
	rawTags := nbJSON(meta["tags"])
	if rawTags.absent() {
		return nil
	}
	tags, ok := rawTags.strings()
	if !ok {
		return p.fail(index, "tags must be a list of strings")
	}
	cell.Skip = slices.Contains(tags, "skip-execution")
	cell.RaisesException = slices.Contains(tags, "raises-exception")
	return nil
}

// nbJSON is one raw JSON value as decoded into a json.RawMessage: no
// surrounding space, nil when the field is missing.
type nbJSON []byte

// absent reports a missing field or a JSON null.
func (v nbJSON) absent() bool { return v == nil || string(v) == "null" }

// kind names the JSON type of v.
func (v nbJSON) kind() string {
	if len(v) == 0 {
		return "empty"
	}
	switch v[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

func (v nbJSON) string() (string, bool) {
	var s string
	if v.kind() != "string" || json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}

func (v nbJSON) strings() ([]string, bool) {
	items, ok := v.list()
	if !ok {
		return nil, false
	}
	out := make([]string, len(items))
	for i, item := range items {
		if out[i], ok = nbJSON(item).string(); !ok {
			return nil, false
		}
	}
	return out, true
}

func (v nbJSON) list() ([]json.RawMessage, bool) {
	var items []json.RawMessage
	if v.kind() != "array" || json.Unmarshal(v, &items) != nil {
		return nil, false
	}
	return items, true
}

func (v nbJSON) object() (map[string]json.RawMessage, bool) {
	var fields map[string]json.RawMessage
	if v.kind() != "object" || json.Unmarshal(v, &fields) != nil {
		return nil, false
	}
	return fields, true
}
