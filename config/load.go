package config

import (
	"bytes"
	"cmp"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Loaded is the result of reading a configuration file.
type Loaded struct {
	Config *Config
	// Problems are errors: global ones stop the service; a flock's (under
	// autostart[i]) only skip that flock.
	Problems Problems
	// Warnings are valid settings this version cannot act on yet.
	Warnings []string
}

// Fatal reports whether a problem outside autostart makes the file unusable.
func (l *Loaded) Fatal() bool {
	for _, p := range l.Problems {
		if len(p.Loc) == 0 || p.Loc[0] != "autostart" {
			return true
		}
	}
	return false
}

// LoadFile reads and validates a configuration file; getenv supplies the
// secrets and the environment overrides.
func LoadFile(path string, getenv func(string) string) (*Loaded, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return Load(data, getenv), nil
}

// Load parses and validates configuration YAML.
func Load(data []byte, getenv func(string) string) *Loaded {
	c := Default()
	out := &Loaded{Config: c}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		out.Problems = Problems{yamlSyntaxProblem(err)}
		return out
	}
	if len(bytes.TrimSpace(data)) > 0 {
		out.Problems = decodeStrict(&root, c)
	}
	out.Problems = append(out.Problems, c.applyEnv(getenv)...)
	c.defaultMonkeyLogDir(getenv)
	out.Problems = merge(out.Problems, c.validate())
	c.loadFlocks(out)
	out.Warnings = c.warnings()
	return out
}

// DefaultMonkeyLogDir is where monkey log files go when logMonkeysToFile is
// true and monkeyLogDir is not set, under $TMPDIR (default /tmp): mobu's
// logMonkeysToFile defaults to true and writes temporary files, so a Phalanx
// configuration that sets only logMonkeysToFile gets files here.
const DefaultMonkeyLogDir = "mobu-monkey-logs"

func (c *Config) defaultMonkeyLogDir(getenv func(string) string) {
	if c.LogMonkeysToFile && c.MonkeyLogDir == "" {
		c.MonkeyLogDir = filepath.Join(cmp.Or(getenv("TMPDIR"), "/tmp"), DefaultMonkeyLogDir)
	}
}

// yaml.v3 numbers the lines of parser errors from 0 (it adds 1 only for
// scanner errors); these are the parser's messages.
var parserErrors = regexp.MustCompile(`did not find expected (key|'-' indicator|',' or '\]'|',' or '\}'|node content|<document start>)`)

func yamlSyntaxProblem(err error) Problem {
	msg := cleanYAMLError(err)
	line := 0
	if _, rest, ok := strings.Cut(err.Error(), "line "); ok {
		n, _, _ := strings.Cut(rest, ":")
		line, _ = strconv.Atoi(n)
		if line > 0 && parserErrors.MatchString(msg) {
			line++
		}
	}
	return Problem{Line: line, Msg: "invalid YAML: " + msg}
}

// applyEnv reads secrets and the replica settings from the environment.
func (c *Config) applyEnv(getenv func(string) string) Problems {
	var ps Problems
	for _, e := range []struct {
		name string
		dst  *int
	}{{"MOBU_REPLICA_COUNT", &c.ReplicaCount}, {"MOBU_REPLICA_INDEX", &c.ReplicaIndex}} {
		if v := getenv(e.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				ps = append(ps, Problem{Loc: []any{"$" + e.name}, Msg: fmt.Sprintf("must be an integer (got %q)", v)})
				continue
			}
			*e.dst = n
		}
	}
	setSecret(&c.AlertHook, getenv("MOBU_ALERT_HOOK"))
	setSecret(&c.Alerts.WebhookURL, getenv("MOBU_ALERT_WEBHOOK_URL"))
	setSecret(&c.PprofToken, getenv("MOBU_PPROF_TOKEN"))
	setSecret(&c.GafaelfawrToken, getenv("MOBU_GAFAELFAWR_TOKEN"))
	setSecret(&c.SentryDSN, getenv("MOBU_SENTRY_DSN"))
	setSecret(&c.APIToken, getenv("MOBU_API_TOKEN"))
	ps = append(ps, c.Metrics.applyEnv(getenv)...)
	ps = append(ps, c.applyGitHubEnv(getenv)...)
	setSecret(&c.GitToken, getenv("MOBU_GIT_TOKEN"))
	c.GitUser = getenv("MOBU_GIT_USERNAME")
	if c.Applications == nil && len(c.AvailableServices) > 0 { // mobu's older setting
		c.Applications = &Applications{Static: c.AvailableServices}
	}
	c.RepertoireURL = strings.TrimRight(getenv("REPERTOIRE_BASE_URL"), "/")
	if c.Applications == nil && c.RepertoireURL != "" {
		c.Applications = &Applications{DiscoveryURL: c.RepertoireURL + "/discovery"}
	}
	if v := getenv("MOBU_SENTRY_ENVIRONMENT"); v != "" {
		c.SentryEnvironment = v
	}
	if c.JupyterHub == nil && getenv("MOBU_HUB_URL") != "" {
		c.JupyterHub = &JupyterHub{}
	}
	if h := c.JupyterHub; h != nil {
		if h.URL == "" {
			h.URL = getenv("MOBU_HUB_URL")
		}
		h.Token = Secret(getenv("MOBU_HUB_TOKEN"))
	}
	return ps
}

func setSecret(dst *Secret, v string) {
	if v != "" {
		*dst = Secret(v)
	}
}

// validate checks the settings outside autostart.
func (c *Config) validate() Problems {
	var ps Problems
	ch := checker{problems: &ps}
	ch.at("pathPrefix").check(strings.HasPrefix(c.PathPrefix, "/") && (c.PathPrefix == "/" || !strings.HasSuffix(c.PathPrefix, "/")),
		"must start with / and not end with one (got %q)", c.PathPrefix)
	ch.at("logLevel").check(slices.Contains(logLevels, strings.ToUpper(c.LogLevel)),
		"must be one of %s (got %q)", strings.Join(logLevels, ", "), c.LogLevel)
	ch.at("logProfile").check(c.LogProfile == "development" || c.LogProfile == "production",
		"must be development or production (got %q)", c.LogProfile)
	ch.at("replicaCount").check(c.ReplicaCount >= 1, "must be ≥ 1 (got %d)", c.ReplicaCount)
	ch.at("replicaIndex").check(c.ReplicaIndex >= 0 && c.ReplicaIndex < c.ReplicaCount,
		"must be in [0, replicaCount) (got %d of %d)", c.ReplicaIndex, c.ReplicaCount)
	ch.at("shutdownGracePeriod").check(c.ShutdownGracePeriod > 0, "must be positive (got %s)", c.ShutdownGracePeriod)
	ch.at("statsWindow").check(c.StatsWindow > 0, "must be positive (got %s)", c.StatsWindow)
	ch.at("gitTimeout").check(c.GitTimeout > 0, "must be positive (got %s)", c.GitTimeout)
	c.Metrics.validate(ch.at("metrics"))
	c.Alerts.validate(ch.at("alerts"))
	c.validateAlertHook(ch)
	c.validateGitHub(ch)
	if a := c.Applications; a != nil {
		a.validate(ch.at("applications"))
	}
	if n := c.Nublado; n != nil {
		n.validate(ch.at("nublado"), c)
	}
	if h := c.JupyterHub; h != nil {
		u, err := url.Parse(h.URL)
		ch.at("jupyterhub", "url").check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "",
			"must be an absolute http(s) URL (got %q)", h.URL)
		ch.at("jupyterhub").check(!h.Token.IsZero(), "the hub's admin token must be in MOBU_HUB_TOKEN")
		ch.at("jupyterhub", "protocol").check(slices.Contains([]string{"", "auto", "v1", "legacy"}, h.Protocol),
			"must be auto, v1 or legacy (got %q)", h.Protocol)
	}
	return ps
}

func (n *Nublado) validate(ch checker, c *Config) {
	for _, f := range []struct{ key, v string }{{"url", n.URL}, {"gafaelfawrUrl", n.GafaelfawrURL}} {
		if f.v == "" && (c.RepertoireURL != "" || (f.key == "gafaelfawrUrl" && n.TokensFile != "")) {
			continue // from Repertoire, or not needed with fixed tokens
		}
		u, err := url.Parse(f.v)
		ch.at(f.key).check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "",
			"must be an absolute http(s) URL, or set REPERTOIRE_BASE_URL (got %q)", f.v)
	}
	ch.at("tokenLifetime").check(n.TokenLifetime >= 0, "must not be negative (got %s)", n.TokenLifetime)
	if c.JupyterHub == nil && n.TokensFile == "" {
		ch.check(!c.GafaelfawrToken.IsZero(), "the Nublado driver needs the Gafaelfawr admin token in MOBU_GAFAELFAWR_TOKEN, or tokensFile")
	}
}

func (a *Applications) validate(c checker) {
	n := 0
	for _, set := range []bool{a.Static != nil, a.PhalanxValues != "", a.DiscoveryURL != ""} {
		if set {
			n++
		}
	}
	c.check(n == 1, "give exactly one of static, phalanxValues or discoveryUrl (got %d)", n)
	c.at("phalanxDefaults").check(a.PhalanxDefaults == "" || a.PhalanxValues != "", "needs phalanxValues")
	for i, name := range a.Static {
		c.at("static", i).check(strings.TrimSpace(name) != "", "must not be empty")
	}
	if a.DiscoveryURL != "" {
		u, err := url.Parse(a.DiscoveryURL)
		c.at("discoveryUrl").check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "",
			"must be an absolute http(s) URL (got %q)", a.DiscoveryURL)
	}
}

// loadFlocks parses each autostart entry on its own: a bad one is reported
// under its index and skipped.
func (c *Config) loadFlocks(out *Loaded) {
	names := map[string]int{}
	for i := range c.Autostart {
		f, ps := ParseFlock(&c.Autostart[i])
		if f != nil {
			if j, dup := names[f.Name]; dup {
				ps = Problems{{Loc: []any{"name"}, Line: c.Autostart[i].Line,
					Msg: fmt.Sprintf("flock %q is already defined by autostart[%d]", f.Name, j)}}
			}
		}
		if len(ps) > 0 {
			out.Problems = append(out.Problems, ps.under("autostart", i)...)
			continue
		}
		names[f.Name] = i
		c.Flocks = append(c.Flocks, f)
	}
}

func (c *Config) warnings() []string {
	var w []string
	const how = "configure jupyterhub.url, or gafaelfawrToken with REPERTOIRE_BASE_URL or nublado.url"
	if c.Driver() == "" {
		for _, f := range c.Flocks {
			if _, base := f.Business.Options.(*BaseOptions); !base {
				w = append(w, fmt.Sprintf("flock %s: %s needs a lab driver; %s", f.Name, f.Business.Type, how))
			}
		}
		if c.GitHubCIApp != nil {
			w = append(w, "githubCiApp needs a lab driver for its bot users; "+how+"; the CI app stays off")
		}
	}
	if c.SlackAlerts && c.AlertHook.IsZero() {
		w = append(w, "slackAlerts is true but there is no Slack webhook (alertHook or MOBU_ALERT_HOOK): no Slack alerts")
	}
	if c.JupyterHub != nil && c.Nublado != nil {
		w = append(w, "both jupyterhub and nublado are configured; the JupyterHub driver is used")
	}
	if c.MonkeyLogDir != "" && !c.LogMonkeysToFile {
		w = append(w, "monkeyLogDir is set but logMonkeysToFile is false: no monkey log files are written")
	}
	return w
}

// NotebookOptionsOf returns the notebook options of a NotebookRunner business.
func NotebookOptionsOf(opts any) *NotebookOptions {
	switch o := opts.(type) {
	case *NotebookOptions:
		return o
	case *CountingOptions:
		return &o.NotebookOptions
	}
	return nil
}

// LabOptionsOf returns the lab options of a lab business, nil for EmptyLoop.
func LabOptionsOf(opts any) *LabOptions {
	switch o := opts.(type) {
	case *PythonLoopOptions:
		return &o.LabOptions
	case *NotebookOptions:
		return &o.LabOptions
	case *CountingOptions:
		return &o.LabOptions
	}
	return nil
}

// BaseOptionsOf returns the options every business has.
func BaseOptionsOf(opts any) *BaseOptions {
	if o, ok := opts.(*BaseOptions); ok {
		return o
	}
	if lab := LabOptionsOf(opts); lab != nil {
		return &lab.BaseOptions
	}
	return nil
}
