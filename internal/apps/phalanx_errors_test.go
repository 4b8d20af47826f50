package apps

import (
	"errors"
	"io/fs"
	"testing"
)

func TestPhalanxFilesErrors(t *testing.T) {
	const v, d = valuesPath + ":", defaultsPath + ":"
	both := PhalanxFiles{Values: valuesPath, Defaults: defaultsPath}
	tests := []struct {
		name   string
		p      PhalanxFiles
		values string // content of the values file, "" for no file
		want   string
	}{
		{"no values file given", PhalanxFiles{Defaults: defaultsPath}, realValues, "phalanx applications: no values file given"},
		{"missing values file", PhalanxFiles{Values: valuesPath}, "",
			"phalanx applications: open environments/values-idfdev.yaml: no such file or directory"},
		{"missing defaults file", PhalanxFiles{Values: valuesPath, Defaults: "environments/nope.yaml"}, realValues,
			"phalanx applications: open environments/nope.yaml: no such file or directory"},
		{"yes is not a boolean", both, "name: idfdev\napplications:\n  tap: yes\n",
			v + `3: applications.tap: must be true or false (got "yes")`},
		{"quoted boolean", both, "applications:\n  tap: \"true\"\n", v + `2: applications.tap: must be true or false (got "true")`},
		{"number", both, "applications:\n  tap: 1\n", v + `2: applications.tap: must be true or false (got "1")`},
		{"null value", both, "applications:\n  mobu: true\n  tap:\n", v + `3: applications.tap: must be true or false (got null)`},
		{"list value", both, "applications:\n  tap: [true]\n", v + `2: applications.tap: must be true or false (got a list)`},
		{"enabled not boolean", both, "applications:\n  tap:\n    enabled: on\n",
			v + `3: applications.tap.enabled: must be true or false (got "on")`},
		{"enabled mapping", both, "applications:\n  tap:\n    enabled: {x: 1}\n",
			v + `3: applications.tap.enabled: must be true or false (got a mapping)`},
		{"enabled missing", both, "applications:\n  tap:\n    version: 2\n", v + `3: applications.tap.enabled: missing`},
		{"duplicate application", both, "applications:\n  tap: true\n  portal: true\n  tap: false\n",
			v + `4: applications.tap: duplicate application`},
		{"empty name", both, "applications:\n  \"\": true\n",
			v + `2: applications: application names must be non-empty strings (got "")`},
		{"null name", both, "applications:\n  ~: true\n", v + `2: applications: application names must be non-empty strings (got null)`},
		{"list name", both, "applications:\n  ? [a, b]\n  : true\n",
			v + `2: applications: application names must be non-empty strings (got a list)`},
		{"applications is a list", both, "name: idfdev\napplications:\n  - tap\n",
			v + `3: applications: must be a mapping of application name to true or false (got a list)`},
		{"applications is a string", both, "applications: tap\n",
			v + `1: applications: must be a mapping of application name to true or false (got "tap")`},
		{"no applications key", both, "name: idfdev\ntap:\n  enabled: true\n",
			v + `1: applications: missing (need a mapping of application name to true or false)`},
		{"empty file", both, "# nothing\n", v + ` applications: missing (the file is empty)`},
		{"top level list", both, "- applications\n", v + `1: top level must be a mapping (got a list)`},
		{"top level string", both, "applications\n", v + `1: top level must be a mapping (got "applications")`},
		{"invalid YAML", both, "applications:\n  tap: true\n portal: true\n",
			v + ` parse YAML: yaml: line 2: did not find expected key`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{defaultsPath: realDefaults}
			if tt.values != "" {
				files[valuesPath] = tt.values
			}
			writeFiles(t, files)
			got, err := tt.p.Applications(t.Context())
			checkResult(t, got, err, nil, tt.want)
		})
	}

	// Errors in the defaults file name it.
	writeFiles(t, map[string]string{defaultsPath: "applications:\n  tap: no\n", valuesPath: realValues})
	got, err := both.Applications(t.Context())
	checkResult(t, got, err, nil, d+`2: applications.tap: must be true or false (got "no")`)
}

func TestPhalanxFilesMissingWrapsNotExist(t *testing.T) {
	writeFiles(t, nil)
	_, err := PhalanxFiles{Values: valuesPath}.Applications(t.Context())
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%v does not wrap fs.ErrNotExist", err)
	}
}
