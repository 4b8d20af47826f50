package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestPhalanxShape(t *testing.T) {
	data, err := os.ReadFile("testdata/phalanx.yaml")
	if err != nil {
		t.Fatal(err)
	}
	phalanxEnv := []string{"MOBU_REPLICA_COUNT", "2", "MOBU_REPLICA_INDEX", "1", "MOBU_GAFAELFAWR_TOKEN", "gt-secret",
		"REPERTOIRE_BASE_URL", "https://data.example.org/repertoire/", "KAFKA_BOOTSTRAP_SERVERS", "sasquatch-kafka-bootstrap:9093, other:9093", "KAFKA_SECURITY_PROTOCOL", "SSL",
		"KAFKA_SASL_PASSWORD", "pw", "MOBU_GITHUB_CI_APP_ID", "12345", "MOBU_GITHUB_CI_APP_PRIVATE_KEY",
		"-----BEGIN RSA PRIVATE KEY-----\n…\n-----END RSA PRIVATE KEY-----\n", "MOBU_GITHUB_CI_APP_WEBHOOK_SECRET", "ci-secret",
		"MOBU_GITHUB_REFRESH_APP_WEBHOOK_SECRET", "refresh-secret"}
	l := Load(data, env(phalanxEnv...))
	if l.Fatal() {
		t.Fatalf("global problems: %v", l.Problems)
	}
	// Only the TAP flock is refused, and it is reported with its index.
	if len(l.Problems) != 1 || l.Problems[0].Path() != "autostart[2].business.type" ||
		!strings.Contains(l.Problems[0].Msg, `business type "TAPQuerySetRunner" is not supported`) {
		t.Fatalf("problems: %v", l.Problems)
	}
	c := l.Config
	if len(c.Flocks) != 3 || c.Flocks[0].Name != "phalanx-recommended" || c.Flocks[2].Name != "python" {
		t.Fatalf("flocks: %d", len(c.Flocks))
	}
	if c.LogProfile != "production" || c.ReplicaCount != 2 || c.ReplicaIndex != 1 || c.GafaelfawrToken.Reveal() != "gt-secret" ||
		c.GitHubCIApp == nil || len(c.GitHubCIApp.Users) != 2 || c.GitHubCIApp.ID != 12345 ||
		c.GitHubCIApp.APIURL != "https://api.github.com/" || c.GitHubRefreshApp.WebhookSecret.Reveal() != "refresh-secret" || c.SentryTracesSampleConfig != "errors" || !c.Metrics.Enabled {
		t.Fatalf("top level: %+v", c)
	}
	if k := c.Metrics.Kafka; len(k.BootstrapServers) != 2 || k.BootstrapServers[1] != "other:9093" ||
		k.SecurityProtocol != "SSL" || c.Metrics.Encoding != "avro" ||
		c.Metrics.SchemaManager.RegistryURL != "http://sasquatch-schema-registry.sasquatch.svc.cluster.local:8081" {
		t.Fatalf("metrics: %+v", c.Metrics)
	}
	rec := c.Flocks[0].Business.Options.(*CountingOptions)
	if rec.CellExecutionTimeout.D() != time.Hour || rec.IdleTime.D() != 300*time.Second || rec.ExecutionIdleTime != 0 ||
		rec.Image.Tag != "r30_0_10_rsp2991" || rec.MaxExecutions != 25 || rec.DeleteLab != true ||
		rec.CollectionRules[0].Patterns[0] != "sasquatch.ipynb" || !c.Flocks[0].Business.Restart {
		t.Fatalf("recommended options: %+v", rec)
	}
	usdf := c.Flocks[1]
	if *usdf.Users[0].UIDNumber != 45692 || usdf.Business.Options.(*NotebookOptions).Image.Size != "Small" {
		t.Fatalf("usdf: %+v", usdf.Users[0])
	}
	py := c.Flocks[2]
	users := py.UserList()
	if len(users) != 10 || users[0].Username != "bot-mobu-py01" || users[9].Username != "bot-mobu-py10" ||
		*users[9].UIDNumber != 1009 || *users[9].GIDNumber != 1009 {
		t.Fatalf("user_spec users: %+v", users[9])
	}
	if py.StartBatchWait.D() != 10*time.Second || py.Business.Options.(*PythonLoopOptions).Jitter.D() != 5*time.Second {
		t.Fatal("python flock durations")
	}
	if c.Driver() != "nublado" || c.RepertoireURL != "https://data.example.org/repertoire" ||
		c.Applications.DiscoveryURL != "https://data.example.org/repertoire/discovery" || !c.Nublado.Revokes() {
		t.Fatalf("driver %q, repertoire %q, applications %+v", c.Driver(), c.RepertoireURL, c.Applications)
	}
	for _, w := range l.Warnings {
		if strings.Contains(w, "lab driver") {
			t.Errorf("warning with a driver configured: %s", w)
		}
	}
	// Without Repertoire (and no static nublado block) there is no driver.
	l = Load(data, env(append(phalanxEnv[:6:6], phalanxEnv[8:]...)...))
	if l.Config.Driver() != "" || !strings.Contains(strings.Join(l.Warnings, "\n"), "flock phalanx-recommended: NotebookRunnerCounting needs a lab driver") {
		t.Fatalf("driver %q, warnings %q", l.Config.Driver(), l.Warnings)
	}
}

func TestDriver(t *testing.T) {
	tests := []struct {
		name, yaml string
		env        []string
		want       string
	}{
		{"none", "", nil, ""},
		{"jupyterhub", "jupyterhub: {url: 'http://h'}\n", []string{"MOBU_HUB_TOKEN", "t"}, "jupyterhub"},
		{"jupyterhub wins", "jupyterhub: {url: 'http://h'}\n", []string{"MOBU_HUB_TOKEN", "t", "MOBU_GAFAELFAWR_TOKEN", "g",
			"REPERTOIRE_BASE_URL", "http://r"}, "jupyterhub"},
		{"repertoire", "", []string{"MOBU_GAFAELFAWR_TOKEN", "g", "REPERTOIRE_BASE_URL", "http://r"}, "nublado"},
		{"static nublado", "nublado: {url: 'http://nb/nb', gafaelfawrUrl: 'http://gf', revokeTokens: false}\n",
			[]string{"MOBU_GAFAELFAWR_TOKEN", "g"}, "nublado"},
		{"repertoire without token", "", []string{"REPERTOIRE_BASE_URL", "http://r"}, ""},
		{"fixed tokens", "nublado: {url: 'http://nb/nb', tokensFile: /etc/mobu/tokens.yaml}\n", nil, "nublado"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Load([]byte(tt.yaml), env(tt.env...))
			if l.Fatal() {
				t.Fatal(l.Problems)
			}
			if got := l.Config.Driver(); got != tt.want {
				t.Errorf("Driver() = %q, want %q", got, tt.want)
			}
		})
	}
	l := Load([]byte("nublado: {url: 'http://nb/nb', gafaelfawrUrl: 'http://gf', revokeTokens: false}\n"), env("MOBU_GAFAELFAWR_TOKEN", "g"))
	if l.Config.Nublado.Revokes() {
		t.Error("revokeTokens: false still revokes")
	}
}

func TestLoadProblems(t *testing.T) {
	const flock = "autostart:\n  - name: f\n    count: 1\n    users: [{username: bot-mobu-a}]\n    scopes: []\n    business:\n"
	tests := []struct {
		name string
		yaml string
		env  func(string) string
		want []string // every problem, rendered
	}{
		{"invalid YAML", "autostart:\n  - name: [unclosed\n", nil,
			[]string{"invalid YAML: did not find expected ',' or ']' (line 2)"}},
		{"invalid YAML, scanner error", "a: b\nc: d\n  e: f\n", nil,
			[]string{"invalid YAML: mapping values are not allowed in this context (line 3)"}},
		{"unknown top-level key", "pathPrefx: /x\n", nil,
			[]string{`pathPrefx: unknown key (did you mean "pathPrefix"?) (line 1)`}},
		{"snake_case accepted", "path_prefix: /x\nlog_level: debug\n", nil, nil},
		{"unknown business type", flock + "      type: Frobnicator\n", nil,
			[]string{`autostart[0].business.type: unknown business type "Frobnicator" (one of NotebookRunnerCounting, NotebookRunnerList, NotebookRunnerInfinite, NubladoPythonLoop, EmptyLoop)`}},
		{"unknown option key", flock + "      type: NotebookRunnerList\n      options:\n        repo_branch: main\n        max_executions: 2\n", nil,
			[]string{`autostart[0].business.options.repo_branch: unknown option for NotebookRunnerList (line 9)`,
				`autostart[0].business.options.max_executions: unknown option for NotebookRunnerList (line 10)`}},
		{"misspelt option", flock + "      type: EmptyLoop\n      options: {idle_tme: 5}\n", nil,
			[]string{`autostart[0].business.options.idle_tme: unknown option for EmptyLoop (did you mean "idle_time"?) (line 8)`}},
		{"max_executions 0", flock + "      type: NotebookRunnerCounting\n      options: {max_executions: 0, notebook_dir: /x}\n", nil,
			[]string{"autostart[0].business.options.max_executions: must be ≥ 1 (got 0)"}},
		{"users and user_spec", "autostart:\n  - name: f\n    count: 1\n    users: [{username: bot-mobu-a}]\n    user_spec: {username_prefix: bot-mobu-b}\n    business: {type: EmptyLoop}\n", nil,
			[]string{"autostart[0]: both users and user_spec provided (give exactly one)"}},
		{"neither", "autostart:\n  - name: f\n    count: 1\n    business: {type: EmptyLoop}\n", nil,
			[]string{"autostart[0]: neither users nor user_spec provided (give exactly one)"}},
		{"count mismatch", "autostart:\n  - name: f\n    count: 3\n    users: [{username: bot-mobu-a}]\n    business: {type: EmptyLoop}\n", nil,
			[]string{"autostart[0].users: has 1 users but count is 3"}},
		{"negative duration", flock + "      type: EmptyLoop\n      options: {idle_time: -5}\n", nil,
			[]string{`autostart[0].business.options.idle_time: invalid duration "-5": must be a non-negative number of seconds (line 8)`}},
		{"bad durations", flock + "      type: EmptyLoop\n      options: {idle_time: soon, error_idle_time: [1]}\n", nil,
			[]string{`autostart[0].business.options.idle_time: invalid duration "soon": want seconds or a form like 5m30s, 1h, 2d (line 8)`,
				`autostart[0].business.options.error_idle_time: duration must be a number or a string (line 8)`}},
		{"bad usernames", "autostart:\n  - name: f\n    count: 3\n    users: [{username: alice}, {username: bot-mobu-Bad}, {username: bot-mobu-a}, ]\n    business: {type: EmptyLoop}\n", nil,
			[]string{`autostart[0].users[0].username: must start with bot-mobu (got "alice")`,
				`autostart[0].users[1].username: must be lower-case letters, digits and single hyphens, at most 64 characters (got "bot-mobu-Bad")`}},
		{"wrong types", "replicaCount: many\nautostart:\n  - name: f\n    count: 1\n    users: {username: bot-mobu-a}\n    business: {type: EmptyLoop}\n", nil,
			[]string{`replicaCount: must be an integer, got "many" (line 1)`, "autostart[0].users: must be a list, got a mapping (line 5)"}},
		{"bad env", "", env("MOBU_REPLICA_COUNT", "x"), []string{`$MOBU_REPLICA_COUNT: must be an integer (got "x")`}},
		{"metrics enabled without Kafka", "metrics: {enabled: true}\n", nil,
			[]string{"$KAFKA_BOOTSTRAP_SERVERS: required when metrics.enabled is true",
				"metrics.schemaManager.registryUrl: required for avro encoding (or SCHEMA_MANAGER_REGISTRY_URL)"}},
		{"metrics env", "", env("METRICS_ENABLED", "yes please", "KAFKA_BOOTSTRAP_SERVERS", "b:9092", "METRICS_EVENTS_TOPIC_PREFIX", "t",
			"KAFKA_SECURITY_PROTOCOL", "TLS", "SCHEMA_MANAGER_REGISTRY_URL", "http://r"),
			[]string{`$METRICS_ENABLED: must be true or false (got "yes please")`}},
		{"kafka protocol", "metrics: {enabled: true, encoding: json}\n", env("KAFKA_BOOTSTRAP_SERVERS", "b:9092", "KAFKA_SECURITY_PROTOCOL", "TLS",
			"KAFKA_SASL_MECHANISM", "GSSAPI"),
			[]string{`$KAFKA_SECURITY_PROTOCOL: must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL (got "TLS")`,
				`$KAFKA_SASL_MECHANISM: must be one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (got "GSSAPI")`}},
		{"replica index", "replicaCount: 2\nreplicaIndex: 2\n", nil, []string{"replicaIndex: must be in [0, replicaCount) (got 2 of 2)"}},
		{"github apps without secrets", "githubRefreshApp: {acceptedGithubOrgs: [o]}\ngithubCiApp: {users: [{username: alice}], apiUrl: x}\n", nil,
			[]string{"githubRefreshApp.webhookSecret: required (or MOBU_GITHUB_REFRESH_APP_WEBHOOK_SECRET)",
				"githubCiApp.id: required (or MOBU_GITHUB_CI_APP_ID)",
				"githubCiApp.privateKey: required: the app's PEM private key (or MOBU_GITHUB_CI_APP_PRIVATE_KEY)",
				"githubCiApp.webhookSecret: required (or MOBU_GITHUB_CI_APP_WEBHOOK_SECRET)",
				"githubCiApp.acceptedGithubOrgs: list the GitHub organizations (or user accounts) whose pull requests are accepted",
				`githubCiApp.users[0].username: must start with bot-mobu (got "alice")`,
				`githubCiApp.apiUrl: must be an absolute http(s) URL (got "x")`}},
		{"nublado bad urls", "nublado: {url: 'nb.example.org', tokenLifetime: -5}\n", env("MOBU_GAFAELFAWR_TOKEN", "g"),
			[]string{`nublado.tokenLifetime: invalid duration "-5": must be a non-negative number of seconds (line 1)`,
				`nublado.url: must be an absolute http(s) URL, or set REPERTOIRE_BASE_URL (got "nb.example.org")`,
				`nublado.gafaelfawrUrl: must be an absolute http(s) URL, or set REPERTOIRE_BASE_URL (got "")`}},
		{"nublado urls from repertoire, no token", "nublado: {revokeTokens: false}\n", env("REPERTOIRE_BASE_URL", "http://r"),
			[]string{"nublado: the Nublado driver needs the Gafaelfawr admin token in MOBU_GAFAELFAWR_TOKEN, or tokensFile"}},
		{"bad alerts", "alerts: {dailyStatus: '25:00', webhookUrl: 'ftp://x'}\nalertHook: 'not a url'\n", nil,
			[]string{`alerts.dailyStatus: must be a UTC time of day "HH:MM" or "off" (got "25:00")`,
				"alerts.webhookUrl: must be an absolute http(s) URL",
				"alertHook: must be an absolute http(s) URL (the Slack incoming webhook)"}},
		{"hub without token", "jupyterhub: {url: 'http://127.0.0.1:8000'}\n", nil,
			[]string{"jupyterhub: the hub's admin token must be in MOBU_HUB_TOKEN"}},
		{"duplicate flock", "autostart:\n  - {name: f, count: 1, users: [{username: bot-mobu-a}], business: {type: EmptyLoop}}\n  - {name: f, count: 1, users: [{username: bot-mobu-b}], business: {type: EmptyLoop}}\n", nil,
			[]string{`autostart[1].name: flock "f" is already defined by autostart[0] (line 3)`}},
		{"image by-tag without tag", flock + "      type: NubladoPythonLoop\n      options: {image: {image_class: by-tag}}\n", nil,
			[]string{"autostart[0].business.options.image.tag: is required with image_class by-tag and only then"}},
		{"batch size without wait", "autostart:\n  - {name: f, count: 1, users: [{username: bot-mobu-a}], start_batch_size: 2, business: {type: EmptyLoop}}\n", nil,
			[]string{"autostart[0].start_batch_wait: required when start_batch_size is set"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := tt.env
			if getenv == nil {
				getenv = env()
			}
			l := Load([]byte(tt.yaml), getenv)
			var got []string
			for _, p := range l.Problems {
				got = append(got, p.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestInvalidFlockIsSkippedOthersKept(t *testing.T) {
	l := Load([]byte(`autostart:
  - {name: good1, count: 1, users: [{username: bot-mobu-a}], business: {type: EmptyLoop}}
  - {name: bad, count: 0, users: [], business: {type: EmptyLoop}}
  - {name: good2, count: 1, users: [{username: bot-mobu-b}], business: {type: EmptyLoop}}
`), env())
	if l.Fatal() || len(l.Config.Flocks) != 2 || l.Config.Flocks[1].Name != "good2" {
		t.Fatalf("fatal %v, flocks %d, problems %v", l.Fatal(), len(l.Config.Flocks), l.Problems)
	}
	if len(l.Problems) != 1 || l.Problems[0].Path() != "autostart[1].count" {
		t.Fatalf("problems %v", l.Problems)
	}
}

func TestParseFlockJSON(t *testing.T) {
	f, ps := ParseFlockJSON([]byte(`{"name":"x","count":2,"user_spec":{"username_prefix":"bot-mobu-x"},
		"business":{"type":"NotebookRunnerCounting","restart":true,
		"options":{"max_executions":3,"idle_time":"5m","execution_idle_time":0.5,"notebook_dir":"/tmp"}}}`))
	if ps != nil {
		t.Fatal(ps)
	}
	o := f.Business.Options.(*CountingOptions)
	if o.MaxExecutions != 3 || o.IdleTime.D() != 5*time.Minute || o.ExecutionIdleTime.D() != 500*time.Millisecond ||
		f.UserList()[1].Username != "bot-mobu-x2" {
		t.Fatalf("decoded %+v", o)
	}
	tests := map[string]string{
		`{"name": "x",`: "malformed JSON: unexpected EOF",
		`{"name":"x","count":"two","users":[{"username":"bot-mobu-a"}],"business":{"type":"EmptyLoop"}}`: `count: must be an integer, got "two"`,
		`[1]`: "must be a mapping, got a list",
		`{"name":"x","count":1,"users":[{"username":"bot-mobu-a"}],"business":{"type":"EmptyLoop","options":{"idle_time":true}}}`: `business.options.idle_time: invalid duration "true"`,
	}
	for body, want := range tests {
		_, ps := ParseFlockJSON([]byte(body))
		if ps == nil || !strings.HasPrefix(ps.Error(), want) {
			t.Errorf("%s: %v, want %q", body, ps, want)
		}
	}
}

// TestDocumentedExampleLoads keeps the full example in docs/service.md valid.
func TestDocumentedExampleLoads(t *testing.T) {
	doc, err := os.ReadFile("../docs/service.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "### Full example\n\n```yaml\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/service.md lost its full example")
	}
	l := Load([]byte(block), env("MOBU_HUB_TOKEN", "t"))
	if len(l.Problems) > 0 || len(l.Config.Flocks) != 4 {
		t.Fatalf("documented example: %d flocks, problems:\n%v", len(l.Config.Flocks), l.Problems)
	}
}

func TestRubinExampleLoads(t *testing.T) {
	doc, err := os.ReadFile("../docs/rubin.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "\n<!-- rubin-example -->\n```yaml\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/rubin.md lost its example (a ```yaml block right after <!-- rubin-example -->)")
	}
	l := Load([]byte(block), env("MOBU_GAFAELFAWR_TOKEN", "gt-secret",
		"REPERTOIRE_BASE_URL", "https://data-int.lsst.cloud/repertoire", "MOBU_REPLICA_COUNT", "1", "MOBU_REPLICA_INDEX", "0",
		"MOBU_SENTRY_ENVIRONMENT", "idfint", "MOBU_GITHUB_CI_APP_ID", "123456",
		"MOBU_GITHUB_CI_APP_PRIVATE_KEY", "-----BEGIN RSA PRIVATE KEY-----\n…\n-----END RSA PRIVATE KEY-----\n",
		"MOBU_GITHUB_CI_APP_WEBHOOK_SECRET", "ci-secret", "MOBU_GITHUB_REFRESH_APP_WEBHOOK_SECRET", "refresh-secret",
		"KAFKA_BOOTSTRAP_SERVERS", "sasquatch-kafka-bootstrap.sasquatch:9093", "KAFKA_SECURITY_PROTOCOL", "SSL",
		"KAFKA_CLUSTER_CA_PATH", "/etc/mobu-kafka/ca.crt", "KAFKA_CLIENT_CERT_PATH", "/etc/mobu-kafka/user.crt",
		"KAFKA_CLIENT_KEY_PATH", "/etc/mobu-kafka/user.key"))
	if len(l.Problems) > 0 {
		t.Fatalf("rubin example problems:\n%v", l.Problems)
	}
	c := l.Config
	if c.Driver() != "nublado" {
		t.Errorf("driver %q, want nublado", c.Driver())
	}
	if len(c.Flocks) != 3 {
		t.Fatalf("flocks: %d, want 3", len(c.Flocks))
	}
	f := c.Flocks[0]
	opts, isCounting := f.Business.Options.(*CountingOptions)
	if f.Business.Type != NotebookRunnerCounting || !isCounting || opts.Image.Class != "by-tag" ||
		opts.Image.Tag != "r30_0_10_rsp2991" || opts.CellExecutionTimeout.D() != time.Hour {
		t.Errorf("first flock: %s %+v", f.Business.Type, f.Business.Options)
	}
	if u := c.Flocks[1].Users[0]; u.UIDNumber == nil || *u.UIDNumber != 45692 || u.GIDNumber == nil || *u.GIDNumber != 1126 {
		t.Errorf("firefighter user: %+v", u)
	}
	if !c.Metrics.Enabled || c.GitHubCIApp == nil || c.GitHubCIApp.ID != 123456 || c.GitHubRefreshApp == nil ||
		c.Applications == nil || c.Applications.DiscoveryURL != "https://data-int.lsst.cloud/repertoire/discovery" {
		t.Errorf("top level: metrics %v, ci %+v, refresh %+v, applications %+v", c.Metrics.Enabled, c.GitHubCIApp,
			c.GitHubRefreshApp, c.Applications)
	}
	for _, w := range l.Warnings {
		if strings.Contains(w, "lab driver") {
			t.Errorf("warning with the Nublado driver configured: %s", w)
		}
	}
}

func TestAlertsSettings(t *testing.T) {
	l := Load([]byte("slackAlerts: true\n"), env("MOBU_ALERT_HOOK", "https://hooks.slack.com/services/T/B/x",
		"MOBU_ALERT_WEBHOOK_URL", "https://alerts.example.org/in"))
	if l.Fatal() {
		t.Fatal(l.Problems)
	}
	c := l.Config
	at, ok := c.Alerts.DailyAt()
	if c.SlackURL() != "https://hooks.slack.com/services/T/B/x" || c.Alerts.WebhookURL.Reveal() != "https://alerts.example.org/in" ||
		c.Alerts.QuietPeriod.D() != time.Hour || !ok || at != 15*time.Hour {
		t.Fatalf("alerts %+v, slack %q, daily %v %v", c.Alerts, c.SlackURL(), at, ok)
	}
	l = Load([]byte("alerts: {dailyStatus: 'off', quietPeriod: 10m}\nalertHook: https://hooks.slack.com/x\n"), env())
	if _, ok := l.Config.Alerts.DailyAt(); ok || l.Config.SlackURL() != "" || l.Config.Alerts.QuietPeriod.D() != 10*time.Minute {
		t.Fatalf("off: %+v (Slack needs slackAlerts, as mobu)", l.Config.Alerts)
	}
	l = Load([]byte("slackAlerts: true\n"), env())
	if !strings.Contains(strings.Join(l.Warnings, "\n"), "slackAlerts is true but there is no Slack webhook") {
		t.Fatalf("warnings %q", l.Warnings)
	}
}

// TestLogProfileAliases: Phalanx writes logProfile (as the fixture does);
// older values files wrote profile, and log_profile is the snake_case form.
// Both still load into LogProfile.
func TestLogProfileAliases(t *testing.T) {
	for _, key := range []string{"logProfile", "profile", "log_profile"} {
		t.Run(key, func(t *testing.T) {
			l := Load([]byte(key+": production\n"), env())
			if len(l.Problems) > 0 || l.Config.LogProfile != "production" {
				t.Fatalf("%s: problems %v, logProfile %q", key, l.Problems, l.Config.LogProfile)
			}
		})
	}
}
