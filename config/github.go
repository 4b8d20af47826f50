package config

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// applyGitHubEnv reads the GitHub apps' secrets and the CI app's defaults.
// MOBU_GITHUB_REFRESH_APP_WEBHOOK_SECRET alone creates the githubRefreshApp
// block (validation then asks for acceptedGithubOrgs). The CI app's
// variables only fill in a githubCiApp block of the file: they are ignored
// without one, since its users and organizations come from the file.
func (c *Config) applyGitHubEnv(getenv func(string) string) Problems {
	var ps Problems
	if v := getenv("MOBU_GITHUB_REFRESH_APP_WEBHOOK_SECRET"); v != "" {
		if c.GitHubRefreshApp == nil {
			c.GitHubRefreshApp = &GitHubRefreshApp{}
		}
		c.GitHubRefreshApp.WebhookSecret = Secret(v)
	}
	ci := c.GitHubCIApp
	if ci == nil {
		return ps
	}
	if v := getenv("MOBU_GITHUB_CI_APP_ID"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			ps = append(ps, Problem{Loc: []any{"$MOBU_GITHUB_CI_APP_ID"}, Msg: fmt.Sprintf("must be an integer (got %q)", v)})
		}
		ci.ID = id
	}
	setSecret(&ci.PrivateKey, getenv("MOBU_GITHUB_CI_APP_PRIVATE_KEY"))
	setSecret(&ci.WebhookSecret, getenv("MOBU_GITHUB_CI_APP_WEBHOOK_SECRET"))
	if ci.APIURL == "" {
		ci.APIURL = "https://api.github.com/"
	}
	if ci.CellTimeout == 0 {
		ci.CellTimeout = Duration(10 * time.Minute)
	}
	return ps
}

func (c *Config) validateGitHub(ch checker) {
	if r := c.GitHubRefreshApp; r != nil {
		ch.at("githubRefreshApp", "webhookSecret").check(!r.WebhookSecret.IsZero(),
			"required (or MOBU_GITHUB_REFRESH_APP_WEBHOOK_SECRET)")
		ch.at("githubRefreshApp", "acceptedGithubOrgs").check(len(r.AcceptedGitHubOrgs) > 0,
			"list the GitHub organizations (or user accounts) whose pushes are accepted")
	}
	ci := c.GitHubCIApp
	if ci == nil {
		return
	}
	at := ch.at("githubCiApp")
	at.at("id").check(ci.ID > 0, "required (or MOBU_GITHUB_CI_APP_ID)")
	at.at("privateKey").check(strings.Contains(ci.PrivateKey.Reveal(), "PRIVATE KEY"),
		"required: the app's PEM private key (or MOBU_GITHUB_CI_APP_PRIVATE_KEY)")
	at.at("webhookSecret").check(!ci.WebhookSecret.IsZero(), "required (or MOBU_GITHUB_CI_APP_WEBHOOK_SECRET)")
	at.at("acceptedGithubOrgs").check(len(ci.AcceptedGitHubOrgs) > 0,
		"list the GitHub organizations (or user accounts) whose pull requests are accepted")
	at.at("users").check(len(ci.Users) > 0, "list at least one bot user (one CI job runs per user at a time)")
	for i, u := range ci.Users {
		checkUsername(at.at("users", i, "username"), u.Username)
	}
	u, err := url.Parse(ci.APIURL)
	at.at("apiUrl").check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "",
		"must be an absolute http(s) URL (got %q)", ci.APIURL)
	at.at("cellTimeout").check(ci.CellTimeout > 0, "must be positive (got %s)", ci.CellTimeout)
}
