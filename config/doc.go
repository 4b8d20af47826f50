// Package config holds mobu's configuration value types: human durations in the
// Safir format and secrets that redact themselves. The YAML file schema for
// `mobu serve` builds on these types.
package config
