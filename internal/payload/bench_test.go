package payload

import (
	"context"
	"fmt"
	"testing"

	"github.com/mobu-dev/mobu/internal/apps"
	"github.com/mobu-dev/mobu/internal/gitrepo"
	"github.com/mobu-dev/mobu/internal/testgit"
)

// BenchmarkCloneSelect500 clones a repository of 500 notebooks (25
// directories, one mobu.yaml rule, a few app-named notebooks) over smart HTTP
// into a fresh cache and selects the runnable ones: what a flock's first
// monkey pays at startup. Each iteration is a cold clone.
func BenchmarkCloneSelect500(b *testing.B) {
	repo := testgit.NewRepo(b)
	files := map[string]string{"mobu.yaml": "exclude_dirs: [dir-24]\n"}
	for i := range 500 {
		name := fmt.Sprintf("dir-%02d/notebook-%03d.ipynb", i%25, i)
		if i%50 == 0 {
			name = fmt.Sprintf("dir-%02d/tap-%03d.ipynb", i%25, i)
		}
		files[name] = nb(fmt.Sprintf(`{"kernelspec": {"name": "python3"}, "n": %d}`, i))
	}
	repo.Commit(files, "500 notebooks")
	srv := testgit.Serve(b, map[string]*testgit.Repo{"big": repo}, testgit.ServeOptions{})
	o := options(b, "collection_rules: [{type: exclude_union_of, patterns: ['**/notebook-1??.ipynb']}]\n")
	o.RepoURL, o.RepoRef = srv.URL("big"), "main"
	load := func(b *testing.B, src *Source) {
		coll, err := src.Load(context.Background())
		// 500 − 20 under dir-24 − 94 more matching notebook-1??.ipynb
		if err != nil || len(coll.Entries) != 386 {
			b.Fatalf("selected %d notebooks, want 386 (%v)", len(coll.Entries), err)
		}
	}
	b.Run("cold clone and select", func(b *testing.B) {
		for b.Loop() {
			cache, err := gitrepo.NewCache(gitrepo.Options{})
			if err != nil {
				b.Fatal(err)
			}
			src, _ := (&Factory{Cache: cache, Apps: apps.Static{"butler"}}).Source(o)
			load(b, src.(*Source))
			src.(*Source).Close()
			cache.Close()
		}
	})
	b.Run("select on a checkout", func(b *testing.B) {
		cache, err := gitrepo.NewCache(gitrepo.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer cache.Close()
		src, _ := (&Factory{Cache: cache, Apps: apps.Static{"butler"}}).Source(o)
		defer src.(*Source).Close()
		load(b, src.(*Source))
		for b.Loop() {
			load(b, src.(*Source))
		}
	})
}
