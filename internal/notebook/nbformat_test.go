package notebook

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// doc wraps code for the "cells" array in a minimal nbformat 4.5 notebook.
func doc(cells string) string {
	return `{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [` + cells + `]}`
}

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		data   string
		kernel string
		meta   string
		cells  []Cell
	}{
		{"string source", doc(`{"cell_type": "code", "id": "a", "source": "print(1)\nprint(2)"}`), "", "{}",
			[]Cell{{ID: "a", Number: 1, Source: "print(1)\nprint(2)"}}},
		{"list source joined without separators", doc(`{"cell_type": "code", "id": "a", "source": ["x = 1\n", "y", " = 2"]}`), "", "{}",
			[]Cell{{ID: "a", Number: 1, Source: "x = 1\ny = 2"}}},
		{"empty list source", doc(`{"cell_type": "code", "id": "a", "source": []}`), "", "{}",
			[]Cell{{ID: "a", Number: 1}}},
		{"whitespace source kept", doc(`{"cell_type": "code", "id": "a", "source": " \n\t"}`), "", "{}",
			[]Cell{{ID: "a", Number: 1, Source: " \n\t"}}},
		{"no ids use numbers", `{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [
			{"cell_type": "code", "source": "a"}, {"cell_type": "code", "source": "b"}]}`, "", "{}",
			[]Cell{{ID: "1", Number: 1, Source: "a"}, {ID: "2", Number: 2, Source: "b"}}},
		{"empty or null id uses number", doc(`{"cell_type": "code", "id": "", "source": "a"}, {"cell_type": "code", "id": null, "source": "b"}`), "", "{}",
			[]Cell{{ID: "1", Number: 1, Source: "a"}, {ID: "2", Number: 2, Source: "b"}}},
		{"markdown raw and unknown cells not counted", doc(`{"cell_type": "markdown", "id": "m", "source": "# t"},
			{"cell_type": "code", "id": "a", "source": "a"}, {"cell_type": "raw", "source": 5},
			{"cell_type": "mystery"}, {"cell_type": "markdown", "source": ["x"]},
			{"cell_type": "code", "id": "b", "source": "b"}`), "", "{}",
			[]Cell{{ID: "a", Number: 1, Source: "a"}, {ID: "b", Number: 2, Source: "b"}}},
		{"tags", doc(`{"cell_type": "code", "id": "s", "source": "a", "metadata": {"tags": ["skip-execution"]}},
			{"cell_type": "code", "id": "r", "source": "b", "metadata": {"tags": ["x", "raises-exception"]}},
			{"cell_type": "code", "id": "n", "source": "c", "metadata": {"tags": null, "collapsed": true}},
			{"cell_type": "code", "id": "e", "source": "d", "metadata": {"tags": []}}`), "", "{}",
			[]Cell{{ID: "s", Number: 1, Source: "a", Skip: true}, {ID: "r", Number: 2, Source: "b", RaisesException: true},
				{ID: "n", Number: 3, Source: "c"}, {ID: "e", Number: 4, Source: "d"}}},
		{"kernelspec and metadata", `{"nbformat": 4, "nbformat_minor": 2, "cells": [],
			"metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}, "mobu": {"required_applications": ["portal"]}}}`,
			"python3", `{"kernelspec": {"name": "python3", "display_name": "Python 3"}, "mobu": {"required_applications": ["portal"]}}`,
			[]Cell{}},
		{"no metadata", `{"nbformat": 4, "nbformat_minor": 0, "cells": []}`, "", "{}", []Cell{}},
		{"null kernelspec", `{"nbformat": 4, "metadata": {"kernelspec": null}, "cells": []}`, "", `{"kernelspec": null}`, []Cell{}},
		{"kernelspec without name", `{"nbformat": 4, "metadata": {"kernelspec": {}}, "cells": []}`, "", `{"kernelspec": {}}`, []Cell{}},
		{"byte order mark", "\xef\xbb\xbf" + doc(`{"cell_type": "code", "id": "a", "source": "é"}`), "", "{}",
			[]Cell{{ID: "a", Number: 1, Source: "é"}}},
		{"stored outputs and execution counts", doc(`{"cell_type": "code", "id": "o", "source": "a", "outputs": [{}, {}, {}], "execution_count": 5},
			{"cell_type": "code", "id": "n", "source": "b", "outputs": [], "execution_count": null},
			{"cell_type": "code", "id": "c", "source": "c", "execution_count": 0},
			{"cell_type": "markdown", "source": "", "outputs": "ignored", "execution_count": "ignored"},
			{"cell_type": "code", "id": "x", "source": "d", "outputs": [{"output_type": "stream"}], "execution_count": 12}`), "", "{}",
			[]Cell{{ID: "o", Number: 1, Source: "a", Outputs: 3, ExecutionCount: 5}, {ID: "n", Number: 2, Source: "b"},
				{ID: "c", Number: 3, Source: "c"}, {ID: "x", Number: 4, Source: "d", Outputs: 1, ExecutionCount: 12}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nb, err := Parse("x.ipynb", []byte(tt.data))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if nb.Path != "x.ipynb" || nb.KernelName != tt.kernel || string(nb.Metadata) != tt.meta {
				t.Errorf("got path %q kernel %q metadata %s, want x.ipynb %q %s", nb.Path, nb.KernelName, nb.Metadata, tt.kernel, tt.meta)
			}
			if !reflect.DeepEqual(nb.Cells, tt.cells) {
				t.Errorf("cells:\n got %+v\nwant %+v", nb.Cells, tt.cells)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	const p = "notebook x.ipynb: "
	tests := []struct {
		name, data, want string
	}{
		{"syntax", "{\n \"nbformat\": 4,\n\"a\":1,}", p + "invalid JSON at line 3, column 7: invalid character '}' looking for beginning of object key string"},
		{"column counts characters", `{"é":1,}`, p + "invalid JSON at line 1, column 8: invalid character '}' looking for beginning of object key string"},
		{"truncated", "{\n \"cells\": [", p + "invalid JSON at line 2, column 12: unexpected end of JSON input"},
		{"truncated after newline", "{\"cells\": [\n", p + "invalid JSON at line 2, column 1: unexpected end of JSON input"},
		{"empty", "", p + "invalid JSON at line 1, column 1: unexpected end of JSON input"},
		{"trailing garbage", `{"nbformat": 4} x`, p + "invalid JSON at line 1, column 17: invalid character 'x' after top-level value"},
		{"top level array", ` [1]`, p + "top level must be a JSON object, not array"},
		{"top level null", `null`, p + "top level must be a JSON object, not null"},
		{"top level string", `"x"`, p + "top level must be a JSON object, not string"},
		{"missing nbformat", `{"cells": []}`, p + "missing nbformat field (need 4)"},
		{"nbformat 3", `{"nbformat": 3, "worksheets": []}`, p + "nbformat 3 is not supported (need 4)"},
		{"nbformat 5", `{"nbformat": 5, "cells": []}`, p + "nbformat 5 is not supported (need 4)"},
		{"nbformat string", `{"nbformat": "4", "cells": []}`, p + "nbformat must be an integer"},
		{"nbformat float", `{"nbformat": 4.5, "cells": []}`, p + "nbformat must be an integer"},
		{"nbformat null", `{"nbformat": null, "cells": []}`, p + "nbformat must be an integer"},
		{"nbformat huge", `{"nbformat": 1e999, "cells": []}`, p + "nbformat must be an integer"},
		{"metadata", `{"nbformat": 4, "metadata": [], "cells": []}`, p + "metadata must be an object"},
		{"kernelspec", `{"nbformat": 4, "metadata": {"kernelspec": "python3"}, "cells": []}`, p + "metadata.kernelspec must be an object"},
		{"kernelspec name", `{"nbformat": 4, "metadata": {"kernelspec": {"name": 3}}, "cells": []}`, p + "metadata.kernelspec.name must be a string"},
		{"missing cells", `{"nbformat": 4, "metadata": {}}`, p + "missing cells field"},
		{"cells object", `{"nbformat": 4, "cells": {}}`, p + "cells must be a list"},
		{"cells null", `{"nbformat": 4, "cells": null}`, p + "cells must be a list"},
		{"cell not object", doc(`{"cell_type": "markdown", "source": ""}, "code"`), p + "cell 2: must be an object"},
		{"cell null", doc(`null`), p + "cell 1: must be an object"},
		{"missing cell_type", doc(`{"source": ""}`), p + "cell 1: missing cell_type"},
		{"cell_type not string", doc(`{"cell_type": 1, "source": ""}`), p + "cell 1: cell_type must be a string"},
		{"missing source", doc(`{"cell_type": "markdown", "source": ""}, {"cell_type": "code"}`), p + "cell 2: missing source"},
		{"source number", doc(`{"cell_type": "raw", "source": ""}, {"cell_type": "markdown", "source": ""}, {"cell_type": "code", "source": 1}`),
			p + "cell 3: source must be a string or a list of strings"},
		{"source null", doc(`{"cell_type": "code", "source": null}`), p + "cell 1: source must be a string or a list of strings"},
		{"source list with number", doc(`{"cell_type": "code", "source": ["a", 1]}`), p + "cell 1: source must be a string or a list of strings"},
		{"source list with null", doc(`{"cell_type": "code", "source": ["a", null]}`), p + "cell 1: source must be a string or a list of strings"},
		{"id not string", doc(`{"cell_type": "code", "id": 7, "source": ""}`), p + "cell 1: id must be a string"},
		{"cell metadata", doc(`{"cell_type": "code", "source": "", "metadata": "x"}`), p + "cell 1: metadata must be an object"},
		{"tags not list", doc(`{"cell_type": "code", "source": "", "metadata": {"tags": "skip-execution"}}`), p + "cell 1: tags must be a list of strings"},
		{"tags not strings", doc(`{"cell_type": "code", "source": "", "metadata": {"tags": ["skip-execution", 2]}}`), p + "cell 1: tags must be a list of strings"},
		{"outputs object", doc(`{"cell_type": "markdown", "source": ""}, {"cell_type": "code", "source": "", "outputs": {}}`), p + "cell 2: outputs must be a list"},
		{"outputs null", doc(`{"cell_type": "code", "source": "", "outputs": null}`), p + "cell 1: outputs must be a list"},
		{"outputs number", doc(`{"cell_type": "code", "source": "", "outputs": 3}`), p + "cell 1: outputs must be a list"},
		{"execution_count string", doc(`{"cell_type": "code", "source": "", "execution_count": "5"}`), p + "cell 1: execution_count must be a non-negative integer or null"},
		{"execution_count float", doc(`{"cell_type": "code", "source": "", "execution_count": 5.0}`), p + "cell 1: execution_count must be a non-negative integer or null"},
		{"execution_count exponent", doc(`{"cell_type": "code", "source": "", "execution_count": 1e2}`), p + "cell 1: execution_count must be a non-negative integer or null"},
		{"execution_count negative", doc(`{"cell_type": "code", "source": "", "execution_count": -1}`), p + "cell 1: execution_count must be a non-negative integer or null"},
		{"execution_count huge", doc(`{"cell_type": "code", "source": "", "execution_count": 99999999999999999999}`), p + "cell 1: execution_count must be a non-negative integer or null"},
		{"execution_count list", doc(`{"cell_type": "code", "source": "", "execution_count": [1]}`), p + "cell 1: execution_count must be a non-negative integer or null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nb, err := Parse("x.ipynb", []byte(tt.data))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", nb)
			}
			if nb != nil {
				t.Errorf("Parse returned a notebook with the error")
			}
			var perr *ParseError
			if !errors.As(err, &perr) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestParseErrorFields(t *testing.T) {
	_, err := Parse("bad.ipynb", []byte("{\n \"nbformat\": 4,\n\"a\":1,}"))
	var perr *ParseError
	if !errors.As(err, &perr) {
		t.Fatalf("got %v, want *ParseError", err)
	}
	var serr *json.SyntaxError
	if perr.Path != "bad.ipynb" || perr.Line != 3 || perr.Column != 7 || perr.Cell != 0 || !errors.As(err, &serr) {
		t.Errorf("got %+v, want bad.ipynb line 3 column 7 cell 0 wrapping *json.SyntaxError", perr)
	}

	_, err = Parse("x.ipynb", []byte(doc(`{"cell_type": "markdown", "source": ""}, {"cell_type": "code", "source": 1}`)))
	if !errors.As(err, &perr) || perr.Cell != 2 || perr.Line != 0 || perr.Column != 0 || perr.Err == nil {
		t.Errorf("got %+v, want cell 2, no line or column", perr)
	}
	if errors.Unwrap(perr) != perr.Err {
		t.Errorf("Unwrap does not return Err")
	}

	if got, want := (&ParseError{Path: "y.ipynb"}).Error(), "notebook y.ipynb: invalid notebook"; got != want {
		t.Errorf("nil Err: got %q, want %q", got, want)
	}
}

func TestReadFile(t *testing.T) {
	nb, err := ReadFile("testdata/nbformat44.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	want := []Cell{
		{ID: "1", Number: 1, Source: "x = 1\ny = 2\nprint(x + y)", ExecutionCount: 1},
		{ID: "2", Number: 2, Source: ""},
		{ID: "3", Number: 3, Source: "%%time\nprint('magic')"},
	}
	if nb.Path != "testdata/nbformat44.ipynb" || nb.KernelName != "python3" || !reflect.DeepEqual(nb.Cells, want) {
		t.Errorf("got %+v", nb)
	}

	nb, err = ReadFile("testdata/nbformat45.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	want = []Cell{
		{ID: "first-cell", Number: 1, Source: "raise RuntimeError('skipped')", Skip: true},
		{ID: "second_cell", Number: 2, Source: "1/0", RaisesException: true},
		{ID: "both", Number: 3, Source: "   \n", Skip: true, RaisesException: true},
	}
	if nb.KernelName != "python3" || !reflect.DeepEqual(nb.Cells, want) {
		t.Errorf("got %+v", nb)
	}
	var meta struct {
		Mobu struct {
			RequiredApplications []string `json:"required_applications"`
		} `json:"mobu"`
	}
	if err := json.Unmarshal(nb.Metadata, &meta); err != nil || !reflect.DeepEqual(meta.Mobu.RequiredApplications, []string{"portal"}) {
		t.Errorf("metadata %s: %v", nb.Metadata, err)
	}
}

func TestReadFileErrors(t *testing.T) {
	tests := []struct{ path, want string }{
		{"testdata/bad.ipynb", "notebook testdata/bad.ipynb: invalid JSON at line 3, column 7: invalid character '}' looking for beginning of object key string"},
		{"testdata/old.ipynb", "notebook testdata/old.ipynb: nbformat 3 is not supported (need 4)"},
		{"testdata/missing.ipynb", "notebook testdata/missing.ipynb: no such file or directory"},
		{"testdata", "notebook testdata: is a directory"},
	}
	for _, tt := range tests {
		_, err := ReadFile(tt.path)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ReadFile(%s):\n got %v\nwant %s", tt.path, err, tt.want)
		}
	}
	if _, err := ReadFile("testdata/missing.ipynb"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v does not wrap fs.ErrNotExist", err)
	}
}

// makeTree creates files (slash-separated, relative to a new temp dir) and
// returns the dir.
func makeTree(t *testing.T, files ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range files {
		path := filepath.Join(root, filepath.FromSlash(f))
		if strings.HasSuffix(f, "/") {
			if err := os.MkdirAll(path, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestFind(t *testing.T) {
	root := makeTree(t, "b.ipynb", "a.ipynb", "notes.txt", ".hidden.ipynb", "sub/c.ipynb", "sub/deep/d.ipynb",
		"sub/deep/.ipynb_checkpoints/d-checkpoint.ipynb", ".ipynb_checkpoints/a-checkpoint.ipynb", ".git/x.ipynb",
		".hidden/e.ipynb", "empty/notes.txt", "dir.ipynb/f.ipynb", "bare/")
	r := func(rel ...string) []string {
		out := make([]string, len(rel))
		for i, p := range rel {
			out[i] = filepath.Join(root, filepath.FromSlash(p))
		}
		return out
	}
	all := r("a.ipynb", "b.ipynb", "dir.ipynb/f.ipynb", "sub/c.ipynb", "sub/deep/d.ipynb")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"directory", r(""), all},
		{"directory with trailing slash", []string{root + "/"}, all},
		{"nested directory", r("sub"), r("sub/c.ipynb", "sub/deep/d.ipynb")},
		{"file as is", r("sub/c.ipynb"), r("sub/c.ipynb")},
		{"sorted and de-duplicated", append(r("sub/deep/d.ipynb", "sub", "a.ipynb"), root+"/./a.ipynb", root+"/sub/../a.ipynb"),
			r("a.ipynb", "sub/c.ipynb", "sub/deep/d.ipynb")},
		{"explicit hidden directory", r(".hidden"), r(".hidden/e.ipynb")},
		{"explicit hidden file", r(".hidden.ipynb"), r(".hidden.ipynb")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Find(tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Find:\n got %q\nwant %q", got, tt.want)
			}
		})
	}

	errTests := []struct {
		name string
		args []string
		want string
	}{
		{"no arguments", nil, "find notebooks: no paths given"},
		{"not a notebook", r("notes.txt"), "find notebooks: " + root + "/notes.txt is not a .ipynb file"},
		{"nonexistent", r("a.ipynb", "nope"), "find notebooks: stat " + root + "/nope: no such file or directory"},
		{"no notebooks", r("empty"), "no notebooks found under " + root + "/empty"},
		{"empty directory", r("bare"), "no notebooks found under " + root + "/bare"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Find(tt.args...)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Find: got %q, %v; want error %q", got, err, tt.want)
			}
		})
	}
}

func TestFindRelative(t *testing.T) {
	t.Chdir(makeTree(t, "z.ipynb", "sub/y.ipynb", ".ipynb_checkpoints/z-checkpoint.ipynb"))
	got, err := Find(".", "./z.ipynb", "sub/")
	want := []string{"sub/y.ipynb", "z.ipynb"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Find: got %q, %v; want %q", got, err, want)
	}
}

func TestExamplesParse(t *testing.T) {
	paths, err := Find("../../examples/notebooks")
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		cells          int
		skip, raises   int // Number of the tagged cell, 0 if none
		sourceContains string
	}
	wants := map[string]want{
		"hello.ipynb":              {cells: 3, sourceContains: "héllo wörld ✓"},
		"sleep.ipynb":              {cells: 2, sourceContains: "time.sleep(0.5)"},
		"expected-exception.ipynb": {cells: 2, raises: 1, sourceContains: "1/0"},
		"skipped-cell.ipynb":       {cells: 2, skip: 1, sourceContains: `raise RuntimeError("this cell must be skipped")`},
		"fails-on-purpose.ipynb":   {cells: 3, sourceContains: `raise ValueError("this notebook fails on purpose")`},
	}
	if len(paths) != len(wants) {
		t.Errorf("found %q, want %d notebooks", paths, len(wants))
	}
	for _, path := range paths {
		w, ok := wants[filepath.Base(path)]
		if !ok {
			t.Errorf("unexpected example %s", path)
			continue
		}
		nb, err := ReadFile(path)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		checkExample(t, nb, w.cells, w.skip, w.raises, w.sourceContains)
	}
}

// checkExample checks the shape of one bundled example notebook.
func checkExample(t *testing.T, nb *Notebook, cells, skip, raises int, contains string) {
	t.Helper()
	if nb.KernelName != "python3" || len(nb.Cells) != cells {
		t.Errorf("%s: kernel %q, %d code cells; want python3, %d", nb.Path, nb.KernelName, len(nb.Cells), cells)
	}
	var all strings.Builder
	for i, c := range nb.Cells {
		if c.Number != i+1 || c.ID == strconv.Itoa(c.Number) {
			t.Errorf("%s: cell %d has number %d, id %q; want real ids", nb.Path, i, c.Number, c.ID)
		}
		if c.Skip != (c.Number == skip) || c.RaisesException != (c.Number == raises) {
			t.Errorf("%s: cell %d: skip %v, raises %v", nb.Path, c.Number, c.Skip, c.RaisesException)
		}
		all.WriteString(c.Source)
	}
	if !strings.Contains(all.String(), contains) {
		t.Errorf("%s: sources do not contain %q", nb.Path, contains)
	}
}

func FuzzParse(f *testing.F) {
	for _, dir := range []string{"testdata", "../../examples/notebooks"} {
		matches, _ := filepath.Glob(filepath.Join(dir, "*.ipynb"))
		for _, m := range matches {
			data, err := os.ReadFile(m)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	for _, s := range []string{"", "null", "[]", `{"nbformat": 4}`, doc(`{"cell_type": "code", "source": ["a", "b"], "metadata": {"tags": ["skip-execution"]}}`)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		nb, err := Parse("f.ipynb", data)
		if err != nil {
			var perr *ParseError
			if !errors.As(err, &perr) || nb != nil {
				t.Fatalf("got %T %v, notebook %v; want only a *ParseError", err, err, nb)
			}
			if !strings.HasPrefix(err.Error(), "notebook f.ipynb: ") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		checkParsed(t, nb)
	})
}

// checkParsed checks the invariants of a successfully parsed notebook.
func checkParsed(t *testing.T, nb *Notebook) {
	t.Helper()
	var meta map[string]json.RawMessage
	if err := json.Unmarshal(nb.Metadata, &meta); err != nil || meta == nil {
		t.Fatalf("metadata %q is not a JSON object: %v", nb.Metadata, err)
	}
	for i, c := range nb.Cells {
		if c.Number != i+1 || c.ID == "" || c.Outputs < 0 || c.ExecutionCount < 0 {
			t.Fatalf("cell %d: number %d, id %q, %d outputs, execution count %d", i, c.Number, c.ID, c.Outputs, c.ExecutionCount)
		}
	}
}
