package gitrepo

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mobu-dev/mobu/internal/testgit"
)

// refsRepo has main (3 commits), dev, an annotated tag v1 and a lightweight
// tag light, both on the first commit.
type refsRepo struct {
	repo               *testgit.Repo
	first, second, tip string
	devTip             string
}

func newRefsRepo(t *testing.T) refsRepo {
	r := testgit.NewRepo(t)
	rr := refsRepo{repo: r}
	rr.first = r.Commit(map[string]string{"nb/a.ipynb": "first", "README": "x"}, "first")
	r.Tag("v1")
	r.Git("tag", "light")
	rr.second = r.Commit(map[string]string{"nb/a.ipynb": "second"}, "second")
	r.Branch("dev")
	r.Checkout("dev")
	rr.devTip = r.Commit(map[string]string{"nb/a.ipynb": "dev"}, "on dev")
	r.Checkout("main")
	rr.tip = r.Commit(map[string]string{"nb/a.ipynb": "tip", "README": testgit.Delete}, "tip")
	return rr
}

func TestAcquireRefs(t *testing.T) {
	for _, tr := range remoteKinds() {
		t.Run(tr.name, func(t *testing.T) {
			rr := newRefsRepo(t)
			url, _ := tr.url(t, rr.repo)
			c := newCache(t, Options{})
			for _, tc := range []struct{ ref, hash, content string }{
				{"main", rr.tip, "tip"},
				{"dev", rr.devTip, "dev"},
				{"refs/heads/dev", rr.devTip, "dev"},
				{"v1", rr.first, "first"},
				{"light", rr.first, "first"},
				{rr.second, rr.second, "second"},
				{strings.ToUpper(rr.first[:7]), rr.first, "first"},
				{rr.devTip[:4], rr.devTip, "dev"},
			} {
				h := acquire(t, c, url, tc.ref)
				s := read(t, h, "nb/a.ipynb", "README")
				if s.hash != tc.hash || s.files["nb/a.ipynb"] != tc.content {
					t.Errorf("ref %s: hash %s content %q, want %s %q", tc.ref, s.hash, s.files["nb/a.ipynb"], tc.hash, tc.content)
				}
				if wantReadme := tc.content != "tip"; (s.files["README"] != "") != wantReadme {
					t.Errorf("ref %s: README = %q, want present=%v", tc.ref, s.files["README"], wantReadme)
				}
				if h.Ref() != tc.ref || !strings.HasPrefix(h.URL(), "file://") && !strings.HasPrefix(h.URL(), "http://") {
					t.Errorf("ref %s: handle URL %q Ref %q", tc.ref, h.URL(), h.Ref())
				}
				h.Release()
			}
		})
	}
}

func TestPlainPathBecomesFileURL(t *testing.T) {
	rr := newRefsRepo(t)
	c := newCache(t, Options{})
	t.Chdir(filepath.Dir(rr.repo.Dir()))
	h := acquire(t, c, filepath.Base(rr.repo.Dir()), "main")
	defer h.Release()
	if want := "file://" + rr.repo.Dir(); h.URL() != want {
		t.Fatalf("URL = %q, want %q", h.URL(), want)
	}
}

func TestRefNotFound(t *testing.T) {
	for _, tr := range remoteKinds() {
		t.Run(tr.name, func(t *testing.T) {
			rr := newRefsRepo(t)
			url, _ := tr.url(t, rr.repo)
			c := newCache(t, Options{})
			_, err := c.Acquire(testContext(t), url, "nope")
			if err == nil || !strings.Contains(err.Error(), `ref "nope" not found in `) ||
				!strings.Contains(err.Error(), "(branches: dev, main)") {
				t.Fatalf("err = %v, want ref \"nope\" not found ... (branches: dev, main)", err)
			}
			_, err = c.Acquire(testContext(t), url, "deadbeef")
			if err == nil || !strings.Contains(err.Error(), `ref "deadbeef" not found in `) {
				t.Fatalf("unknown SHA: err = %v, want ref \"deadbeef\" not found", err)
			}
			if got := entries(t, c.dir); len(got) != 0 {
				t.Fatalf("failed clones left %v", got)
			}
		})
	}
}

func TestAmbiguousShortSHA(t *testing.T) {
	r := testgit.NewRepo(t)
	// fast-import makes many commits quickly; fixed dates make the hashes,
	// and so the colliding prefix, the same on every run.
	var b strings.Builder
	for i := range 1000 {
		b.WriteString("commit refs/heads/main\n")
		b.WriteString("committer M <m@example.com> 1700000000 +0000\n")
		msg := "commit " + itoa(i)
		// Without "from", each commit's parent is the branch's previous tip.
		b.WriteString("data " + itoa(len(msg)) + "\n" + msg + "\n\n")
	}
	r.GitInput(b.String(), "fast-import", "--quiet")
	seen := map[string]string{}
	var prefix string
	for _, h := range strings.Fields(r.Git("rev-list", "main")) {
		if _, dup := seen[h[:4]]; dup {
			prefix = h[:4]
			break
		}
		seen[h[:4]] = h
	}
	if prefix == "" {
		t.Fatal("no 4-hex prefix shared by two of 1000 commits; make more")
	}
	c := newCache(t, Options{})
	_, err := c.Acquire(testContext(t), r.Dir(), prefix)
	if err == nil || !strings.Contains(err.Error(), "ambiguous") {
		t.Fatalf("Acquire(%s) err = %v, want ambiguous", prefix, err)
	}
	h := acquire(t, c, r.Dir(), seen[prefix][:12])
	defer h.Release()
	if s := read(t, h); s.hash != seen[prefix] {
		t.Fatalf("hash = %s, want %s", s.hash, seen[prefix])
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

func TestUnreachableRemote(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := newCache(t, Options{})
	_, err = c.Acquire(testContext(t), "http://"+addr+"/repo.git", "main")
	if err == nil || !strings.Contains(err.Error(), "cannot reach http://"+addr) {
		t.Fatalf("err = %v, want cannot reach", err)
	}
	_, err = c.Acquire(testContext(t), filepath.Join(t.TempDir(), "missing"), "main")
	if err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("missing local repository: err = %v, want not found", err)
	}
	_, err = c.Acquire(testContext(t), "ssh://example.com/repo.git", "main")
	if err == nil || !strings.Contains(err.Error(), `unsupported scheme "ssh"`) {
		t.Fatalf("ssh: err = %v, want unsupported scheme", err)
	}
	_, err = c.Acquire(testContext(t), "git@github.com:org/repo.git", "main")
	if err == nil || !strings.Contains(err.Error(), "ssh remotes are not supported") {
		t.Fatalf("scp-like: err = %v, want ssh not supported", err)
	}
}

func TestAuth(t *testing.T) {
	rr := newRefsRepo(t)
	const user, pass = "bot", "hunter2-s3cret-t0ken"
	s := testgit.Serve(t, map[string]*testgit.Repo{"private": rr.repo}, testgit.ServeOptions{Username: user, Password: pass})

	ok := newCache(t, Options{Username: user, Token: pass})
	h := acquire(t, ok, s.URL("private"), "main")
	if got := read(t, h); got.hash != rr.tip {
		t.Fatalf("hash = %s, want %s", got.hash, rr.tip)
	}
	h.Release()
	hs := acquire(t, ok, s.URL("private"), rr.second[:8])
	hs.Release()

	for name, opts := range map[string]Options{
		"wrong password": {Username: user, Token: "wrong-" + pass},
		"default user":   {Token: pass},
		"anonymous":      {},
	} {
		c := newCache(t, opts)
		_, err := c.Acquire(testContext(t), s.URL("private"), "main")
		if err == nil || !strings.Contains(err.Error(), "authentication failed for "+s.URL("private")) ||
			!strings.Contains(err.Error(), TokenEnv) {
			t.Errorf("%s: err = %v, want authentication failed ... %s", name, err, TokenEnv)
			continue
		}
		if strings.Contains(err.Error(), pass) {
			t.Errorf("%s: error text contains the password: %v", name, err)
		}
		t.Logf("%s: %v", name, err)
	}
}

func TestTokenNotUsedForFileOrShownInURL(t *testing.T) {
	rr := newRefsRepo(t)
	c := newCache(t, Options{Token: "tok"})
	h := acquire(t, c, "file://"+rr.repo.Dir(), "main")
	h.Release()
	_, err := c.Acquire(testContext(t), "http://user:tok@127.0.0.1:1/x.git", "main")
	if err == nil || strings.Contains(err.Error(), "tok@") || strings.Contains(err.Error(), ":tok") {
		t.Fatalf("err = %v, want an error without the password", err)
	}
}

func TestSymlinkCheckedOut(t *testing.T) {
	r := testgit.NewRepo(t)
	r.Commit(map[string]string{"nb/real.ipynb": "{}"}, "first")
	r.Symlink("nb/link.ipynb", "real.ipynb")
	c := newCache(t, Options{})
	h := acquire(t, c, r.Dir(), "main")
	defer h.Release()
	err := h.Read(func(dir, _ string) error {
		target, err := os.Readlink(filepath.Join(dir, "nb", "link.ipynb"))
		if err != nil {
			return err
		}
		if target != "real.ipynb" {
			return errors.New("link points at " + target)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("symlink not checked out as such: %v", err)
	}
}
