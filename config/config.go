package config

import (
	"time"

	"gopkg.in/yaml.v3"
)

// Config is mobu's configuration file (mobu compatible: camelCase keys, with
// snake_case accepted).
type Config struct {
	Name                string      `yaml:"name"`
	PathPrefix          string      `yaml:"pathPrefix" alias:"path_prefix"`
	LogLevel            string      `yaml:"logLevel" alias:"log_level"`
	LogProfile          string      `yaml:"logProfile" alias:"log_profile,profile"`
	LogMonkeysToFile    bool        `yaml:"logMonkeysToFile" alias:"log_monkeys_to_file"`
	MonkeyLogDir        string      `yaml:"monkeyLogDir" alias:"monkey_log_dir"`
	MonkeyLogMaxBytes   int64       `yaml:"monkeyLogMaxBytes" alias:"monkey_log_max_bytes"`
	ReplicaCount        int         `yaml:"replicaCount" alias:"replica_count"`
	ReplicaIndex        int         `yaml:"replicaIndex" alias:"replica_index"`
	ShutdownGracePeriod Duration    `yaml:"shutdownGracePeriod" alias:"shutdown_grace_period"`
	StatsWindow         Duration    `yaml:"statsWindow" alias:"stats_window"`
	APIToken            Secret      `yaml:"-"` // MOBU_API_TOKEN: bearer token the REST API requires, if set
	JupyterHub          *JupyterHub `yaml:"jupyterhub"`
	// Nublado gives static URLs for the Rubin driver where Repertoire is not
	// deployed (ours); with neither block, the driver's URLs come from
	// Repertoire.
	Nublado *Nublado `yaml:"nublado"`
	// RepertoireURL is REPERTOIRE_BASE_URL: service discovery for the
	// Nublado and Gafaelfawr URLs, the applications and the environment name.
	RepertoireURL string `yaml:"-"`
	// Applications is where the environment's application list comes from,
	// for the app-name and metadata notebook rules; nil: no such rules.
	Applications *Applications `yaml:"applications"`
	// GitTimeout bounds each clone or update of a payload repository.
	GitTimeout Duration    `yaml:"gitTimeout" alias:"git_timeout"`
	GitToken   Secret      `yaml:"-"` // MOBU_GIT_TOKEN: password for private http(s) repositories
	GitUser    string      `yaml:"-"` // MOBU_GIT_USERNAME
	Metrics    Metrics     `yaml:"metrics"`
	Autostart  []yaml.Node `yaml:"autostart"`

	// Accepted for Phalanx compatibility; the Gafaelfawr settings drive the
	// Nublado driver, the others are used by later versions.
	AvailableServices []string `yaml:"availableServices" alias:"available_services"`
	SlackAlerts       bool     `yaml:"slackAlerts" alias:"slack_alerts"`
	AlertHook         Secret   `yaml:"alertHook" alias:"alert_hook"`
	Alerts            Alerts   `yaml:"alerts"`
	// PprofToken (MOBU_PPROF_TOKEN) turns on /debug/pprof, for requests
	// bearing it; unset, the endpoints do not exist (ours).
	PprofToken        Secret            `yaml:"-"`
	GafaelfawrToken   Secret            `yaml:"gafaelfawrToken" alias:"gafaelfawr_token"`
	GafaelfawrTimeout *Duration         `yaml:"gafaelfawrTimeout" alias:"gafaelfawr_timeout"`
	GitHubCIApp       *GitHubCIApp      `yaml:"githubCiApp" alias:"github_ci_app"`
	GitHubRefreshApp  *GitHubRefreshApp `yaml:"githubRefreshApp" alias:"github_refresh_app"`
	SentryDSN         Secret            `yaml:"sentryDsn" alias:"sentry_dsn,mobuSentryDsn"`
	SentryEnvironment string            `yaml:"sentryEnvironment" alias:"sentry_environment"`
	// EnvironmentName names the environment in CI check runs ("Mobu (<name>)");
	// default: sentryEnvironment (ours).
	EnvironmentName          string `yaml:"environmentName" alias:"environment_name"`
	SentryTracesSampleConfig any    `yaml:"sentryTracesSampleConfig" alias:"sentry_traces_sample_config"`

	// Flocks holds the valid autostart flocks, in order (set by Load).
	Flocks []*Flock `yaml:"-"`
}

// JupyterHub configures the plain JupyterHub driver (admin token auth).
type JupyterHub struct {
	URL           string   `yaml:"url"`
	Token         Secret   `yaml:"-"` // MOBU_HUB_TOKEN
	TokenLifetime Duration `yaml:"token_lifetime" alias:"tokenLifetime"`
	Protocol      string   `yaml:"protocol"` // auto, v1 or legacy
}

// Nublado configures the Rubin Science Platform driver (ours): bots hold
// Gafaelfawr tokens minted with gafaelfawrToken and use the hub as a browser.
type Nublado struct {
	URL           string `yaml:"url"`                                  // hub base, e.g. https://nb.example.org/nb
	GafaelfawrURL string `yaml:"gafaelfawrUrl" alias:"gafaelfawr_url"` // e.g. https://example.org (API under /auth/api/v1)
	// TokenLifetime of minted bot tokens (default 365 days, as mobu).
	TokenLifetime Duration `yaml:"tokenLifetime" alias:"token_lifetime"`
	// RevokeTokens revokes a monkey's token when its flock is deleted or
	// the service stops (default true; mobu leaves them to expire).
	RevokeTokens *bool `yaml:"revokeTokens" alias:"revoke_tokens"`
	// TokensFile holds fixed bot tokens instead of minted ones, for
	// platforms without Gafaelfawr's admin API: a JSON or YAML mapping of
	// username to token (the file should be a mounted secret).
	TokensFile string `yaml:"tokensFile" alias:"tokens_file"`
}

// Driver names the lab driver the configuration selects: "jupyterhub",
// "nublado" or "" (none).
func (c *Config) Driver() string {
	switch {
	case c.JupyterHub != nil:
		return "jupyterhub"
	case !c.GafaelfawrToken.IsZero() && (c.Nublado != nil || c.RepertoireURL != ""):
		return "nublado"
	case c.Nublado != nil && c.Nublado.TokensFile != "":
		return "nublado"
	}
	return ""
}

// Revokes reports whether minted bot tokens are revoked when done with.
func (n *Nublado) Revokes() bool { return n == nil || n.RevokeTokens == nil || *n.RevokeTokens }

// Metrics configures event publishing to Kafka (Safir app metrics
// compatible). Kafka connection settings come from the KAFKA_* environment
// variables only, as in Safir.
type Metrics struct {
	Enabled     bool   `yaml:"enabled"`
	Application string `yaml:"application" alias:"appName"`
	Mock        bool   `yaml:"mock"`
	Events      struct {
		TopicPrefix string `yaml:"topicPrefix" alias:"topic_prefix"`
		CreateTopic bool   `yaml:"createTopic" alias:"create_topic"` // ours: create the topic if missing
	} `yaml:"events"`
	SchemaManager struct {
		RegistryURL string `yaml:"registryUrl" alias:"registry_url"`
		Suffix      string `yaml:"suffix"`
	} `yaml:"schemaManager" alias:"schema_manager"`
	// Ours: "avro" (default, Confluent wire format) or "json".
	Encoding string `yaml:"encoding"`
	// Ours: where undelivered events wait during an outage (default: a
	// temporary directory; set it to survive restarts) and its size bound.
	SpoolDir      string `yaml:"spoolDir" alias:"spool_dir"`
	SpoolMaxBytes int64  `yaml:"spoolMaxBytes" alias:"spool_max_bytes"`
	Kafka         Kafka  `yaml:"-"`
}

// Kafka holds the broker connection settings (KAFKA_* variables).
type Kafka struct {
	BootstrapServers []string // KAFKA_BOOTSTRAP_SERVERS, comma-separated
	SecurityProtocol string   // KAFKA_SECURITY_PROTOCOL
	ClusterCAPath    string   // KAFKA_CLUSTER_CA_PATH
	ClientCertPath   string   // KAFKA_CLIENT_CERT_PATH
	ClientKeyPath    string   // KAFKA_CLIENT_KEY_PATH
	SASLMechanism    string   // KAFKA_SASL_MECHANISM
	SASLUsername     string   // KAFKA_SASL_USERNAME
	SASLPassword     Secret   // KAFKA_SASL_PASSWORD
}

// Applications selects exactly one source of the environment's applications.
type Applications struct {
	Static          []string `yaml:"static"`                                   // enabled names
	PhalanxValues   string   `yaml:"phalanxValues" alias:"phalanx_values"`     // environments/values-<env>.yaml
	PhalanxDefaults string   `yaml:"phalanxDefaults" alias:"phalanx_defaults"` // environments/values.yaml (optional)
	DiscoveryURL    string   `yaml:"discoveryUrl" alias:"discovery_url"`       // Repertoire /discovery
}

// GitHubCIApp configures the GitHub CI app: check runs for the notebooks a
// pull request adds or changes. id, privateKey and webhookSecret usually come
// from MOBU_GITHUB_CI_APP_ID, _PRIVATE_KEY and _WEBHOOK_SECRET.
type GitHubCIApp struct {
	ID                 int64    `yaml:"id"`
	PrivateKey         Secret   `yaml:"privateKey" alias:"private_key"`
	WebhookSecret      Secret   `yaml:"webhookSecret" alias:"webhook_secret"`
	Users              []User   `yaml:"users"`
	Scopes             []string `yaml:"scopes"`
	AcceptedGitHubOrgs []string `yaml:"acceptedGithubOrgs" alias:"accepted_github_orgs"`
	APIURL             string   `yaml:"apiUrl" alias:"api_url"` // GitHub Enterprise: https://host/api/v3/
	// Ours: per-cell limit of CI runs, and where queued jobs survive a restart.
	CellTimeout Duration `yaml:"cellTimeout" alias:"cell_timeout"`
	StateFile   string   `yaml:"stateFile" alias:"state_file"`
}

// GitHubRefreshApp configures the GitHub refresh app: pushes refresh the
// flocks running that repository and ref. The secret usually comes from
// MOBU_GITHUB_REFRESH_APP_WEBHOOK_SECRET.
type GitHubRefreshApp struct {
	WebhookSecret      Secret   `yaml:"webhookSecret" alias:"webhook_secret"`
	AcceptedGitHubOrgs []string `yaml:"acceptedGithubOrgs" alias:"accepted_github_orgs"`
}

// Default returns a configuration with mobu's defaults.
func Default() *Config {
	c := &Config{
		Name: "mobu", PathPrefix: "/mobu", LogLevel: "INFO", LogProfile: "development",
		MonkeyLogMaxBytes: 10 << 20, ReplicaCount: 1,
		ShutdownGracePeriod: Duration(25 * time.Second), StatsWindow: Duration(time.Hour),
		GitTimeout: Duration(2 * time.Minute), Alerts: alertsDefaults(),
	}
	c.Metrics.Application = "mobu"
	c.Metrics.Events.TopicPrefix = "lsst.square.metrics.events"
	c.Metrics.Encoding = "avro"
	c.Metrics.SpoolMaxBytes = 256 << 20
	return c
}
