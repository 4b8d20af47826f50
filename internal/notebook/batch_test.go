package notebook

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mobu-dev/mobu/internal/events"
)

// fakeLab records the calls a Batch makes and fails the ones it is told to.
type fakeLab struct {
	mu       sync.Mutex
	calls    []string
	fail     map[string]error
	kernel   *scriptKernel
	onOpen   func()
	blockRun bool // kernel blocks until ctx ends
}

func (l *fakeLab) call(name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, name)
	return l.fail[name]
}

func (l *fakeLab) Login(context.Context) error     { return l.call("login") }
func (l *fakeLab) Spawn(context.Context) error     { return l.call("spawn") }
func (l *fakeLab) DeleteLab(context.Context) error { return l.call("delete") }
func (l *fakeLab) Logout(context.Context) error    { return l.call("logout") }
func (l *fakeLab) OpenSession(ctx context.Context, name string) (Session, error) {
	if !strings.HasPrefix(name, "mobu/") || !strings.HasSuffix(name, ".ipynb") {
		return nil, errors.New("bad session name " + name)
	}
	if err := l.call("open"); err != nil {
		return nil, err
	}
	if l.onOpen != nil {
		l.onOpen()
	}
	if l.blockRun {
		return blockingSession{l}, nil
	}
	return sessionCloser{l.kernel, l}, nil
}

type sessionCloser struct {
	*scriptKernel
	l *fakeLab
}

func (s sessionCloser) Close(context.Context) error { return s.l.call("close") }

type blockingSession struct{ l *fakeLab }

func (b blockingSession) Execute(ctx context.Context, _ string, _ ExecOptions) (*Execution, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
func (b blockingSession) Close(context.Context) error { return b.l.call("close") }

func entries(names ...string) []Entry {
	var out []Entry
	for _, n := range names {
		if strings.HasPrefix(n, "bad") {
			out = append(out, Entry{Path: n, ParseErr: errors.New("notebook " + n + ": invalid JSON")})
			continue
		}
		out = append(out, Entry{Path: n, Notebook: nb(Cell{Source: "1"})})
	}
	return out
}

func newBatch(t *testing.T) (*Batch, *recorder) {
	rec := &recorder{t: t}
	return &Batch{Runner: &Runner{Meta: Meta{Business: "NotebookRunnerList", Username: "bot-mobu-t"}, Publisher: rec},
		DeleteTimeout: time.Second}, rec
}

func TestBatchFlow(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name     string
		fail     map[string]error
		entries  []string
		calls    string
		phases   string // per notebook: "" passed, else the failure phase
		stageEvs string
	}{
		{"two notebooks", nil, []string{"a", "b"}, "login spawn open close open close delete logout", ",",
			"nublado_login nublado_spawn_lab nublado_start_kernel nublado_delete_session nublado_start_kernel nublado_delete_session nublado_delete_lab"},
		{"parse error kept, others run", nil, []string{"a", "bad.ipynb"}, "login spawn open close delete logout", ",parse",
			"nublado_login nublado_spawn_lab nublado_start_kernel nublado_delete_session nublado_delete_lab"},
		{"nothing parses: no lab", nil, []string{"bad1", "bad2"}, "", "parse,parse", ""},
		{"login fails: nothing to clean", map[string]error{"login": boom}, []string{"a", "b"}, "login", "login,login",
			"nublado_login"},
		{"spawn fails: lab still deleted", map[string]error{"spawn": boom}, []string{"a"}, "login spawn delete logout", "spawn",
			"nublado_login nublado_spawn_lab nublado_delete_lab"},
		{"kernel fails: next notebook runs", map[string]error{"open": boom}, []string{"a", "b"},
			"login spawn open open delete logout", "kernel,kernel",
			"nublado_login nublado_spawn_lab nublado_start_kernel nublado_start_kernel nublado_delete_lab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, rec := newBatch(t)
			lab := &fakeLab{fail: tt.fail, kernel: &scriptKernel{}}
			var done []string
			b.OnResult = func(r *Result) { done = append(done, r.Path) }
			res := b.Run(context.Background(), lab, entries(tt.entries...))
			if got := strings.Join(lab.calls, " "); got != tt.calls {
				t.Errorf("calls %q, want %q", got, tt.calls)
			}
			var phases []string
			for _, r := range res.Notebooks {
				p := ""
				if r.Failure != nil {
					p = string(r.Failure.Phase)
					if !strings.Contains(r.Failure.Error(), r.Path) {
						t.Errorf("failure %q does not name %s", r.Failure, r.Path)
					}
				}
				phases = append(phases, p)
			}
			if got := strings.Join(phases, ","); got != tt.phases {
				t.Errorf("phases %q, want %q", got, tt.phases)
			}
			if len(done) != len(tt.entries) {
				t.Errorf("OnResult saw %v", done)
			}
			var stages []string
			nbEvents := 0
			for _, e := range rec.evs {
				switch e.(type) {
				case *events.Stage:
					stages = append(stages, e.Name())
				case *events.NotebookExecution:
					nbEvents++
				}
			}
			if got := strings.Join(stages, " "); got != tt.stageEvs {
				t.Errorf("stage events %q, want %q", got, tt.stageEvs)
			}
			if nbEvents != len(tt.entries) {
				t.Errorf("%d notebook_execution events, want %d", nbEvents, len(tt.entries))
			}
		})
	}
}

func TestBatchCancelStillCleansUp(t *testing.T) {
	b, _ := newBatch(t)
	ctx, cancel := context.WithCancel(context.Background())
	lab := &fakeLab{blockRun: true, onOpen: cancel}
	res := b.Run(ctx, lab, entries("a", "b"))
	if got := strings.Join(lab.calls, " "); got != "login spawn open close delete logout" {
		t.Fatalf("calls %q", got)
	}
	if len(res.Notebooks) != 2 || res.Notebooks[0].Failure == nil ||
		!strings.Contains(res.Notebooks[1].Failure.Error(), "not run: context canceled") {
		t.Fatalf("results: %v, %v", res.Notebooks[0].Failure, res.Notebooks[1].Failure)
	}
}

func TestBatchStageTimeout(t *testing.T) {
	b, _ := newBatch(t)
	b.SpawnTimeout = 10 * time.Millisecond
	lab := &slowSpawnLab{fakeLab: fakeLab{kernel: &scriptKernel{}}}
	res := b.Run(context.Background(), lab, entries("a"))
	f := res.Notebooks[0].Failure
	if f == nil || f.Phase != PhaseSpawn || !strings.Contains(f.Error(), "spawn timed out after 10ms") {
		t.Fatalf("failure %v", f)
	}
}

type slowSpawnLab struct{ fakeLab }

func (l *slowSpawnLab) Spawn(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}
