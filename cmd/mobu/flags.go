package main

import (
	"flag"
	"io"
	"time"

	"github.com/mobu-dev/mobu/config"
)

// durationFlag accepts human durations ("5m", "90", "1h30m").
type durationFlag struct{ d *time.Duration }

func (f durationFlag) String() string {
	if f.d == nil {
		return ""
	}
	return f.d.String()
}

func (f durationFlag) Set(s string) error {
	d, err := config.ParseDuration(s)
	if err != nil {
		return err
	}
	*f.d = d
	return nil
}

func durationVar(fs *flag.FlagSet, p *time.Duration, name string, def time.Duration, usage string) {
	*p = def
	fs.Var(durationFlag{p}, name, usage)
}

// parseInterspersed parses flags placed before, between or after the
// positional arguments (mobu flock report NAME -o DIR) and returns the
// positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string, stderr io.Writer) (pos []string, help bool, err error) {
	for {
		if help, err := parseFlags(fs, args, stderr); help || err != nil {
			return nil, help, err
		}
		if fs.NArg() == 0 {
			return pos, false, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// parseFlags parses args, mapping -h to a clean exit and errors to status 2.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (help bool, err error) {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return true, nil
		}
		return false, &exitError{code: 2} // the flag package has printed the error and usage
	}
	return false, nil
}
