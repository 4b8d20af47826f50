package monkeylog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

var testTime = time.Date(2026, 11, 21, 19, 2, 31, 500, time.UTC)

const stamp = "2026-11-21 19:02:31 "

func newLog(t testing.TB, opts Options) *Log {
	t.Helper()
	l, err := New("flock", "monkey", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// handle sends one record with testTime through h.
func handle(t testing.TB, h slog.Handler, level slog.Level, msg string, attrs ...slog.Attr) {
	t.Helper()
	r := slog.NewRecord(testTime, level, msg, 0)
	r.AddAttrs(attrs...)
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
}

// lines returns what WriteTo writes, split into lines, checking the count.
func lines(t testing.TB, l *Log) []string {
	t.Helper()
	var buf bytes.Buffer
	n, err := l.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo = %d, %v; wrote %d bytes", n, err, buf.Len())
	}
	s := buf.String()
	if s == "" {
		return nil
	}
	if !strings.HasSuffix(s, "\n") {
		t.Fatalf("output does not end in newline: %q", s)
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

type valuer struct{}

func (valuer) LogValue() slog.Value { return slog.StringValue("resolved value") }

type marshaler struct{}

func (*marshaler) MarshalText() ([]byte, error) { return []byte("as text"), nil }

func TestFormat(t *testing.T) {
	est := time.FixedZone("EST", -5*3600)
	tests := []struct {
		name  string
		level slog.Level
		msg   string
		attrs []slog.Attr
		want  string
	}{
		{"plain", slog.LevelInfo, "hello", nil, "INFO  hello"},
		{"debug", slog.LevelDebug, "d", nil, "DEBUG d"},
		{"warn", slog.LevelWarn, "w", nil, "WARN  w"},
		{"error", slog.LevelError, "e", nil, "ERROR e"},
		{"custom level", slog.LevelInfo + 2, "c", nil, "INFO+2 c"},
		{"message newline", slog.LevelInfo, "a\nb", nil, `INFO  "a\nb"`},
		{"simple values", slog.LevelInfo, "m", []slog.Attr{
			slog.String("s", "v"), slog.Int("i", -3), slog.Uint64("u", 7),
			slog.Float64("f", 1.5), slog.Bool("b", true),
			slog.Duration("d", 1500*time.Millisecond),
		}, "INFO  m s=v i=-3 u=7 f=1.5 b=true d=1.5s"},
		{"quoting", slog.LevelInfo, "m", []slog.Attr{
			slog.String("a", "quoted value"), slog.String("b", ""),
			slog.String("c", "x=y"), slog.String("d", `say "hi"`),
			slog.String("e", "tab\there"), slog.String("f", "ünïcödé"),
			slog.String("g", `back\slash`), slog.String("h", "bad\xff"),
		}, `INFO  m a="quoted value" b="" c="x=y" d="say \"hi\"" e="tab\there" f=ünïcödé g=back\slash h="bad\xff"`},
		{"quoted keys", slog.LevelInfo, "m", []slog.Attr{
			slog.String("my key", "v"), slog.String("", "v"),
		}, `INFO  m "my key"=v ""=v`},
		{"any values", slog.LevelInfo, "m", []slog.Attr{
			slog.Any("err", errors.New("kernel died")), slog.Any("bytes", []byte("b y")),
			slog.Any("nilptr", (*marshaler)(nil)), slog.Any("text", &marshaler{}),
			slog.Any("valuer", valuer{}), slog.Any("slice", []int{1, 2}),
			slog.Time("t", testTime.In(est)),
		}, `INFO  m err="kernel died" bytes="b y" nilptr=<nil> text="as text" valuer="resolved value" slice="[1 2]" t=2026-11-21T14:02:31.000-05:00`},
		{"groups", slog.LevelInfo, "m", []slog.Attr{
			slog.Group("g", slog.Int("a", 1), slog.Group("h", slog.Int("b", 2))),
			slog.Group("empty"), slog.Group("", slog.Int("inline", 3)), {},
		}, "INFO  m g.a=1 g.h.b=2 inline=3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLog(t, Options{Level: slog.LevelDebug})
			handle(t, l.Handler(nil), tt.level, tt.msg, tt.attrs...)
			if got, want := lines(t, l), []string{stamp + tt.want}; !equal(got, want) {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
}

func TestFormatTimeIsUTC(t *testing.T) {
	l := newLog(t, Options{})
	r := slog.NewRecord(testTime.In(time.FixedZone("X", 3600)), slog.LevelInfo, "m", 0)
	if err := l.Handler(nil).Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if got := lines(t, l); len(got) != 1 || got[0] != stamp+"INFO  m" {
		t.Errorf("got %q", got)
	}
}

func TestWithAttrsWithGroup(t *testing.T) {
	l := newLog(t, Options{})
	var next bytes.Buffer
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	base := slog.New(l.Handler(slog.NewTextHandler(&next, &slog.HandlerOptions{ReplaceAttr: noTime})))
	logger := base.With("a", 1).WithGroup("g").With("b", "two words").WithGroup("h")
	other := base.With("x", 9) // must not share WithAttrs storage with logger
	logger.Info("m", "c", 3, slog.Group("i", "d", 4))
	other.Info("o")
	base.WithGroup("unused").Info("u")

	want := []string{
		`INFO  m a=1 g.b="two words" g.h.c=3 g.h.i.d=4`,
		"INFO  o x=9",
		"INFO  u",
	}
	got := lines(t, l)
	for i := range want {
		want[i] = stamp[:11] + want[i]
		if i < len(got) {
			got[i] = got[i][:11] + got[i][20:] // drop the wall-clock time
		}
	}
	if !equal(got, want) {
		t.Errorf("recorded\n%q\nwant\n%q", got, want)
	}
	wantNext := "level=INFO msg=m a=1 g.b=\"two words\" g.h.c=3 g.h.i.d=4\n" +
		"level=INFO msg=o x=9\nlevel=INFO msg=u\n"
	if next.String() != wantNext {
		t.Errorf("forwarded\n%s\nwant\n%s", next.String(), wantNext)
	}
}

// levelHandler is a next handler that counts what it is given.
type levelHandler struct {
	min     slog.Level
	handled *int
}

func (h levelHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.min }
func (h levelHandler) Handle(context.Context, slog.Record) error    { *h.handled++; return nil }
func (h levelHandler) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h levelHandler) WithGroup(string) slog.Handler                { return h }

func TestEnabledAndForwarding(t *testing.T) {
	const none = slog.Level(100) // marks "no next handler"
	tests := []struct {
		name            string
		logLevel, nextL slog.Level
		level           slog.Level
		enabled         bool
		recorded, fwd   bool
	}{
		{"both want it", slog.LevelInfo, slog.LevelInfo, slog.LevelWarn, true, true, true},
		{"only log", slog.LevelInfo, slog.LevelWarn, slog.LevelInfo, true, true, false},
		{"only next", slog.LevelError, slog.LevelDebug, slog.LevelInfo, true, false, true},
		{"neither", slog.LevelInfo, slog.LevelWarn, slog.LevelDebug, false, false, false},
		{"nil next, wanted", slog.LevelInfo, none, slog.LevelInfo, true, true, false},
		{"nil next, unwanted", slog.LevelInfo, none, slog.LevelDebug, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLog(t, Options{Level: tt.logLevel})
			var handled int
			var next slog.Handler
			if tt.nextL != none {
				next = levelHandler{min: tt.nextL, handled: &handled}
			}
			h := l.Handler(next)
			if got := h.Enabled(context.Background(), tt.level); got != tt.enabled {
				t.Errorf("Enabled = %v, want %v", got, tt.enabled)
			}
			slog.New(h).Log(context.Background(), tt.level, "m")
			if got := len(lines(t, l)) == 1; got != tt.recorded {
				t.Errorf("recorded = %v, want %v", got, tt.recorded)
			}
			if got := handled == 1; got != tt.fwd {
				t.Errorf("forwarded = %v, want %v", got, tt.fwd)
			}
		})
	}
}

func TestLevelVar(t *testing.T) {
	var lv slog.LevelVar
	l := newLog(t, Options{Level: &lv})
	logger := slog.New(l.Handler(nil))
	logger.Debug("hidden")
	lv.Set(slog.LevelDebug)
	logger.Debug("shown")
	if got := lines(t, l); len(got) != 1 || !strings.HasSuffix(got[0], "DEBUG shown") {
		t.Errorf("got %q", got)
	}
}

func TestRetention(t *testing.T) {
	type step struct {
		level slog.Level
		n     int
	}
	info := func(n int) step { return step{slog.LevelInfo, n} }
	warn := func(n int) step { return step{slog.LevelWarn, n} }
	tests := []struct {
		name          string
		lines, failed int
		steps         []step
		want          []int // sequence numbers kept, in order
		notKept       int
	}{
		{"nothing evicted", 5, 2, []step{info(3), warn(1), info(1)}, []int{1, 2, 3, 4, 5}, 0},
		{"routine evicted", 5, 2, []step{info(8)}, []int{4, 5, 6, 7, 8}, 3},
		{"warn survives 10x lines", 10, 3, []step{info(2), warn(1), info(100)},
			append([]int{3}, seqs(94, 103)...), 92},
		{"warn still in routine ring appears once", 5, 2, []step{info(2), warn(1), info(2)},
			[]int{1, 2, 3, 4, 5}, 0},
		{"failure ring evicts too", 3, 2, []step{warn(5), info(5)}, []int{4, 5, 8, 9, 10}, 5},
		{"interleaved", 4, 3, []step{warn(1), info(3), warn(1), info(3), warn(1), info(6)},
			[]int{1, 5, 9, 12, 13, 14, 15}, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLog(t, Options{Lines: tt.lines, FailureLines: tt.failed})
			h := l.Handler(nil)
			seq := 0
			for _, s := range tt.steps {
				for range s.n {
					seq++
					handle(t, h, s.level, "m", slog.Int("seq", seq))
				}
			}
			var want []string
			if tt.notKept > 0 {
				want = append(want, fmt.Sprintf("… %d earlier lines not kept …", tt.notKept))
			}
			for _, n := range tt.want {
				want = append(want, fmt.Sprintf("%sseq=%d", stamp, n))
			}
			got := lines(t, l)
			for i := range got {
				got[i] = strings.Replace(strings.Replace(got[i], "INFO  m ", "", 1), "WARN  m ", "", 1)
			}
			if !equal(got, want) {
				t.Errorf("got\n%q\nwant\n%q", got, want)
			}
		})
	}
}

func TestEmptyLog(t *testing.T) {
	l := newLog(t, Options{})
	if got := lines(t, l); got != nil {
		t.Errorf("got %q", got)
	}
}

func seqs(from, to int) []int {
	var s []int
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

func equal(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n") && len(a) == len(b)
}
