// Package flock runs flocks of monkeys: each monkey is one goroutine that
// drives one bot user through a business (run notebooks, run code, do
// nothing) in a loop, with restarts, backoff, pause, refresh and a two-stage
// stop. The Manager owns the flocks; summaries come from the events the
// monkeys publish.
//
// It is a domain package: platforms, notebook sources and event sinks are
// reached through interfaces wired in by cmd/mobu.
package flock
