// Package ghapps turns GitHub App webhook deliveries into mobu actions: a
// push refreshes the flocks running that repository and ref (refresh app); a
// pull request, or a re-requested check run, queues a notebook CI job (CI
// app). It also adapts the GitHub REST client to what the CI manager needs.
package ghapps

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/mobu-dev/mobu/internal/ci"
	"github.com/mobu-dev/mobu/internal/github"
)

// RefreshEvents are the events the refresh app handles; the webhook route
// acknowledges and ignores the others (installation events, which GitHub
// sends every app, and the like).
func RefreshEvents() []string { return []string{"push"} }

// CIEvents are the events the CI app handles.
func CIEvents() []string { return []string{"pull_request", "check_run"} }

// Refresher refreshes the flocks running a repository at a ref.
type Refresher interface {
	RefreshRepo(repoURL, ref string) []string
}

// RefreshHandler handles the refresh app's deliveries: pushes to a branch
// (names with "/" included) or a tag refresh the matching flocks; deleted
// refs and other events are ignored with a log line.
func RefreshHandler(r Refresher, log *slog.Logger) func(event, delivery string, body []byte) error {
	return func(event, delivery string, body []byte) error {
		log := log.With("event", event, "delivery", delivery)
		if event != "push" {
			log.Info("ignoring webhook event")
			return nil
		}
		var p github.PushEvent
		if err := json.Unmarshal(body, &p); err != nil {
			return fmt.Errorf("malformed push payload: %w", err)
		}
		if p.Repository.CloneURL == "" || p.Ref == "" {
			return errors.New("push payload lacks ref or repository.clone_url")
		}
		log = log.With("repo", p.Repository.FullName, "ref", p.Ref)
		ref, ok := pushRef(&p)
		switch {
		case p.Deleted:
			log.Info("ignoring the push of a deleted ref")
		case !ok:
			log.Info("ignoring a push that is neither a branch nor a tag")
		default:
			flocks := r.RefreshRepo(p.Repository.CloneURL, ref)
			log.Info("push refreshed flocks", "flocks", flocks, "after", p.After)
		}
		return nil
	}
}

// pushRef is the branch or tag a push updated.
func pushRef(p *github.PushEvent) (string, bool) {
	if b, ok := p.Branch(); ok {
		return b, true
	}
	return strings.CutPrefix(p.Ref, "refs/tags/")
}

// Submitter queues CI jobs; Submit must not block.
type Submitter interface {
	Submit(job ci.Job)
}

// CIHandler handles the CI app's deliveries: pull_request opened,
// synchronize and reopened, and check_run rerequested, queue a job for the
// pull request's head commit; other events and actions are ignored.
func CIHandler(s Submitter, log *slog.Logger) func(event, delivery string, body []byte) error {
	return func(event, delivery string, body []byte) error {
		log := log.With("event", event, "delivery", delivery)
		var job *ci.Job
		var err error
		switch event {
		case "pull_request":
			job, err = pullRequestJob(body)
		case "check_run":
			job, err = rerequestJob(body)
		}
		if err != nil {
			return err
		}
		if job == nil {
			log.Info("ignoring webhook event or action")
			return nil
		}
		job.Delivery = delivery
		log.Info("queueing notebook CI", "repo", job.Repo.Owner+"/"+job.Repo.Name, "pr", job.PR, "sha", job.HeadSHA)
		s.Submit(*job)
		return nil
	}
}

func pullRequestJob(body []byte) (*ci.Job, error) {
	var p github.PullRequestEvent
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("malformed pull_request payload: %w", err)
	}
	switch p.Action {
	case "opened", "synchronize", "reopened":
	default:
		return nil, nil
	}
	repo, err := ciRepo(p.Installation, p.Repository)
	if err != nil {
		return nil, err
	}
	if p.PullRequest.Head.SHA == "" || p.PullRequest.Number == 0 {
		return nil, errors.New("pull_request payload lacks pull_request.number or pull_request.head.sha")
	}
	return &ci.Job{Repo: repo, PR: p.PullRequest.Number, HeadSHA: p.PullRequest.Head.SHA}, nil
}

func rerequestJob(body []byte) (*ci.Job, error) {
	var p github.CheckRunEvent
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("malformed check_run payload: %w", err)
	}
	if p.Action != "rerequested" || len(p.CheckRun.CheckSuite.PullRequests) == 0 {
		return nil, nil // a check of a commit outside any pull request (or from a fork): nothing to run
	}
	repo, err := ciRepo(p.Installation, p.Repository)
	if err != nil {
		return nil, err
	}
	pr := p.CheckRun.CheckSuite.PullRequests[0]
	return &ci.Job{Repo: repo, PR: pr.Number, HeadSHA: p.CheckRun.HeadSHA, Rerun: true}, nil
}

func ciRepo(inst *github.Installation, r github.Repository) (ci.Repo, error) {
	if inst == nil || inst.ID == 0 {
		return ci.Repo{}, errors.New("payload lacks installation.id (is the app installed on the repository?)")
	}
	if r.Name == "" || r.Owner.Login == "" || r.CloneURL == "" {
		return ci.Repo{}, errors.New("payload lacks repository.name, repository.owner.login or repository.clone_url")
	}
	return ci.Repo{InstallationID: inst.ID, Owner: r.Owner.Login, Name: r.Name, CloneURL: r.CloneURL}, nil
}
