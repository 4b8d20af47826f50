package config

import (
	"time"

	"gopkg.in/yaml.v3"
)

// Business types. Only these run; other mobu types (TAP, SIA, GitLFS,
// Muster) are reported as unsupported.
const (
	NotebookRunnerCounting = "NotebookRunnerCounting"
	NotebookRunnerList     = "NotebookRunnerList"
	NotebookRunnerInfinite = "NotebookRunnerInfinite"
	NubladoPythonLoop      = "NubladoPythonLoop"
	EmptyLoop              = "EmptyLoop"
)

// BusinessTypes lists the supported business types.
var BusinessTypes = []string{NotebookRunnerCounting, NotebookRunnerList, NotebookRunnerInfinite, NubladoPythonLoop, EmptyLoop}

var unsupportedTypes = map[string]bool{"TAPQueryRunner": true, "TAPQuerySetRunner": true, "SIAQuerySetRunner": true,
	"GitLFS": true, "Muster": true, "JupyterPythonLoop": true}

// Business is what every monkey of a flock does.
type Business struct {
	Type    string    `yaml:"type" json:"type"`
	Restart bool      `yaml:"restart" json:"restart"`
	Raw     yaml.Node `yaml:"options" json:"-"`
	// Options is the decoded options block: *BaseOptions (EmptyLoop),
	// *PythonLoopOptions, *NotebookOptions.
	Options any `yaml:"-" json:"options"`
}

// BaseOptions apply to every business.
type BaseOptions struct {
	IdleTime      Duration `yaml:"idle_time" json:"idle_time"`
	ErrorIdleTime Duration `yaml:"error_idle_time" json:"error_idle_time"`
	LogLevel      string   `yaml:"log_level" json:"log_level"`
}

// Image selects the lab image (Nublado; ignored by the plain JupyterHub driver).
type Image struct {
	Class     string `yaml:"image_class" alias:"class" json:"class"`
	Tag       string `yaml:"tag" json:"tag,omitempty"`
	Reference string `yaml:"reference" json:"reference,omitempty"`
	Size      string `yaml:"size" json:"size"`
	Debug     bool   `yaml:"debug" json:"debug"`
}

// LabOptions apply to businesses that run code in a lab.
type LabOptions struct {
	BaseOptions          `yaml:",inline"`
	Image                Image     `yaml:"image" json:"image"`
	DeleteLab            bool      `yaml:"delete_lab" json:"delete_lab"`
	DeleteTimeout        Duration  `yaml:"delete_timeout" json:"delete_timeout"`
	SpawnSettleTime      Duration  `yaml:"spawn_settle_time" json:"spawn_settle_time"`
	SpawnTimeout         Duration  `yaml:"spawn_timeout" json:"spawn_timeout"`
	JupyterTimeout       Duration  `yaml:"jupyter_timeout" json:"jupyter_timeout"`
	MaxWebsocketSize     *int64    `yaml:"max_websocket_message_size" json:"max_websocket_message_size,omitempty"`
	ExecutionIdleTime    Duration  `yaml:"execution_idle_time" json:"execution_idle_time"`
	GetNode              bool      `yaml:"get_node" json:"get_node"`
	Jitter               Duration  `yaml:"jitter" json:"jitter"`
	WorkingDirectory     string    `yaml:"working_directory" json:"working_directory,omitempty"`
	URLPrefix            string    `yaml:"url_prefix" json:"url_prefix"`
	CellExecutionTimeout *Duration `yaml:"cell_execution_timeout" json:"cell_execution_timeout,omitempty"`
	// KernelName is ours; "" is the driver's default (python3 on the
	// JupyterHub driver, LSST on Nublado).
	KernelName string `yaml:"kernel_name" json:"kernel_name,omitempty"`
}

// PythonLoopOptions configure NubladoPythonLoop.
type PythonLoopOptions struct {
	LabOptions    `yaml:",inline"`
	Code          string `yaml:"code" json:"code"`
	MaxExecutions int    `yaml:"max_executions" json:"max_executions"`
}

// CollectionRule keeps (intersect_union_of) or drops (exclude_union_of) the
// notebooks matching any of its glob patterns.
type CollectionRule struct {
	Type     string   `yaml:"type" json:"type"`
	Patterns []string `yaml:"patterns" json:"patterns"`
}

// NotebookOptions configure the NotebookRunner businesses. MaxExecutions is
// accepted for NotebookRunnerCounting only.
type NotebookOptions struct {
	LabOptions       `yaml:",inline"`
	RepoURL          string           `yaml:"repo_url" json:"repo_url"`
	RepoRef          string           `yaml:"repo_ref" json:"repo_ref"`
	CollectionRules  []CollectionRule `yaml:"collection_rules" json:"collection_rules"`
	ExcludeDirs      []string         `yaml:"exclude_dirs" json:"exclude_dirs"`
	NotebookIdleTime Duration         `yaml:"notebook_idle_time" json:"notebook_idle_time"`
	// NotebookDir runs the notebooks of a local directory instead of a
	// repository (ours).
	NotebookDir string `yaml:"notebook_dir" json:"notebook_dir,omitempty"`
	// AppNameFilter applies the app-name rule; nil means "when an
	// application source is configured" (ours).
	AppNameFilter *bool `yaml:"app_name_filter" json:"app_name_filter,omitempty"`
	// NotebookOrder is "shuffle" (default: a rotation persisting across lab
	// sessions, as mobu) or "sorted" (deterministic, for CI) (ours).
	NotebookOrder string `yaml:"notebook_order" json:"notebook_order"`
}

// CountingOptions configure NotebookRunnerCounting.
type CountingOptions struct {
	NotebookOptions `yaml:",inline"`
	MaxExecutions   int `yaml:"max_executions" json:"max_executions"`
}

func defaultBase() BaseOptions {
	return BaseOptions{IdleTime: Duration(time.Minute), ErrorIdleTime: Duration(time.Minute), LogLevel: "INFO"}
}

func defaultLab() LabOptions {
	return LabOptions{
		BaseOptions:       defaultBase(),
		Image:             Image{Class: "recommended", Size: "Large"},
		DeleteLab:         true,
		DeleteTimeout:     Duration(time.Minute),
		SpawnSettleTime:   Duration(10 * time.Second),
		SpawnTimeout:      Duration(610 * time.Second),
		JupyterTimeout:    Duration(time.Minute),
		ExecutionIdleTime: Duration(time.Second),
		GetNode:           true,
		URLPrefix:         "/nb/",
	}
}

func defaultNotebook() NotebookOptions {
	return NotebookOptions{LabOptions: defaultLab(),
		RepoURL: "https://github.com/lsst-sqre/notebook-demo.git", RepoRef: "prod", NotebookOrder: "shuffle"}
}

// newOptions returns the defaults for a business type, or nil if unknown.
func newOptions(typ string) any {
	switch typ {
	case EmptyLoop:
		o := defaultBase()
		return &o
	case NubladoPythonLoop:
		return &PythonLoopOptions{LabOptions: defaultLab(), Code: `print(2+2, end="")`, MaxExecutions: 25}
	case NotebookRunnerCounting:
		return &CountingOptions{NotebookOptions: defaultNotebook(), MaxExecutions: 25}
	case NotebookRunnerList, NotebookRunnerInfinite:
		o := defaultNotebook()
		return &o
	}
	return nil
}
