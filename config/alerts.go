package config

import (
	"net/url"
	"time"
)

// Alerts tunes failure alerts (ours). Slack alerts are on when slackAlerts is
// true and alertHook (MOBU_ALERT_HOOK) is set, as in mobu; a generic JSON
// webhook can be added beside or instead of Slack.
type Alerts struct {
	// QuietPeriod suppresses repeats of the same failure (flock, notebook,
	// cell, error type) after an alert; default 1h.
	QuietPeriod Duration `yaml:"quietPeriod" alias:"quiet_period"`
	// WebhookURL receives every alert as JSON (MOBU_ALERT_WEBHOOK_URL).
	WebhookURL Secret `yaml:"webhookUrl" alias:"webhook_url"`
	// DailyStatus is the UTC time of day of the status message, "HH:MM";
	// "off" for none. Default 15:00.
	DailyStatus string `yaml:"dailyStatus" alias:"daily_status"`
}

// SlackURL is the Slack incoming webhook alerts go to, "" when off.
func (c *Config) SlackURL() string {
	if !c.SlackAlerts {
		return ""
	}
	return c.AlertHook.Reveal()
}

// DailyAt is the daily status time as an offset from midnight UTC; ok is
// false when the daily status is off.
func (a *Alerts) DailyAt() (at time.Duration, ok bool) {
	if a.DailyStatus == "off" {
		return 0, false
	}
	t, err := time.Parse("15:04", a.DailyStatus)
	if err != nil {
		return 0, false
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, true
}

func (a *Alerts) validate(ch checker) {
	ch.at("quietPeriod").check(a.QuietPeriod >= 0, "must not be negative (got %s)", a.QuietPeriod)
	if a.DailyStatus != "off" {
		_, err := time.Parse("15:04", a.DailyStatus)
		ch.at("dailyStatus").check(err == nil, `must be a UTC time of day "HH:MM" or "off" (got %q)`, a.DailyStatus)
	}
	if w := a.WebhookURL.Reveal(); w != "" {
		u, err := url.Parse(w)
		ch.at("webhookUrl").check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "",
			"must be an absolute http(s) URL")
	}
}

// validateAlertHook checks the Slack webhook's form (never printing it).
func (c *Config) validateAlertHook(ch checker) {
	if h := c.AlertHook.Reveal(); h != "" {
		u, err := url.Parse(h)
		ch.at("alertHook").check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "",
			"must be an absolute http(s) URL (the Slack incoming webhook)")
	}
}

// alertsDefaults fills the defaults.
func alertsDefaults() Alerts {
	return Alerts{QuietPeriod: Duration(time.Hour), DailyStatus: "15:00"}
}
