package gitrepo

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/mobu-dev/mobu/internal/testgit"
)

// notebook500 is a ~2 KB notebook whose content depends on i.
func notebook500(i int) string {
	src := strings.Repeat(fmt.Sprintf("print(%d)  # some code in notebook %d\n", i, i), 40)
	return fmt.Sprintf(`{"cells": [{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [],
 "source": [%q]}], "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
 "nbformat": 4, "nbformat_minor": 5}`, src)
}

// BenchmarkClone500 measures Acquire (a shallow clone over smart HTTP) plus
// Release of a repository of 500 ~2 KB notebooks in 25 directories.
func BenchmarkClone500(b *testing.B) {
	r := testgit.NewRepo(b)
	files := make(map[string]string, 500)
	for i := range 500 {
		files[fmt.Sprintf("dir%02d/notebook%03d.ipynb", i%25, i)] = notebook500(i)
	}
	r.Commit(files, "500 notebooks")
	if n := len(notebook500(499)); n < 1800 || n > 2600 {
		b.Fatalf("notebook size %d, want about 2 KB", n)
	}
	srv := testgit.Serve(b, map[string]*testgit.Repo{"nb": r}, testgit.ServeOptions{})
	c := newCache(b, Options{Logger: slog.New(slog.DiscardHandler)})
	url := srv.URL("nb")
	b.ReportAllocs()
	for b.Loop() {
		h, err := c.Acquire(testContext(b), url, "main")
		if err != nil {
			b.Fatal(err)
		}
		h.Release()
	}
}
