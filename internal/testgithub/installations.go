package testgithub

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Installation is an installation of the app on an account, with the
// repositories it can access.
type Installation struct {
	ID      int64
	Account string // the organization's or user's login; the repositories' owner
	Repos   []Repository
}

// Repository is an installation's repository.
type Repository struct {
	Name     string
	CloneURL string // default https://github.com/<account>/<name>.git
}

// pull is a pull request listed by GET /repos/{owner}/{repo}/pulls.
type pull struct {
	pr    PR
	state string
}

// AddInstallation makes an installation known to GET /app/installations and
// its token's GET /installation/repositories.
func (s *Server) AddInstallation(inst Installation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inst.Repos = slices.Clone(inst.Repos)
	s.installations = append(s.installations, inst)
}

// SetPull sets a pull request of owner/repo and its state ("open" or
// "closed"), as listed by GET /repos/{owner}/{repo}/pulls.
func (s *Server) SetPull(owner, repo string, pr PR, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := owner + "/" + repo
	list := slices.DeleteFunc(s.pulls[key], func(p pull) bool { return p.pr.Number == pr.Number })
	s.pulls[key] = append(list, pull{pr: pr, state: state})
}

// AddCheckRun adds a check run as if an app had created it (AppID 0: this
// server's app; Status "": queued) and returns its id. It has no history.
func (s *Server) AddCheckRun(run CheckRun) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextRunID++
	run.ID = s.nextRunID
	run.AppID = cmp.Or(run.AppID, s.appID)
	run.Status = cmp.Or(run.Status, "queued")
	run.Annotations, run.History = nil, nil
	s.checkRuns[run.ID] = &run
	return run.ID
}

// listInstallations is GET /app/installations (the app's JWT).
func (s *Server) listInstallations(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	out := make([]any, 0, len(s.installations))
	for _, inst := range s.installations {
		out = append(out, map[string]any{
			"id": inst.ID, "app_id": s.appID, "target_type": "Organization",
			"account":              map[string]any{"login": inst.Account, "type": "Organization"},
			"repository_selection": "selected",
			"access_tokens_url":    fmt.Sprintf("%sapp/installations/%d/access_tokens", s.URL(), inst.ID),
		})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.page(w, r, out))
}

// listInstallationRepos is GET /installation/repositories (an installation
// token): the token's installation's repositories.
func (s *Server) listInstallationRepos(w http.ResponseWriter, r *http.Request) {
	id, _ := s.tokenInstallation(r)
	s.mu.Lock()
	var out []any
	for _, inst := range s.installations {
		if inst.ID == id {
			for _, repo := range inst.Repos {
				out = append(out, s.repoJSON(inst.Account, repo))
			}
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(out), "repository_selection": "selected",
		"repositories": s.page(w, r, out)})
}

func (s *Server) repoJSON(owner string, r Repository) map[string]any {
	clone := cmp.Or(r.CloneURL, "https://github.com/"+owner+"/"+r.Name+".git")
	return map[string]any{
		"id": len(owner)*1000 + len(r.Name), "name": r.Name, "full_name": owner + "/" + r.Name,
		"owner":     map[string]any{"login": owner, "type": "Organization"},
		"private":   false,
		"html_url":  "https://github.com/" + owner + "/" + r.Name,
		"clone_url": clone,
		"url":       s.URL() + "repos/" + owner + "/" + r.Name,
	}
}

// accessibleLocked reports whether the request's installation token can reach
// the {owner}/{repo} of its path; s.mu is held.
func (s *Server) accessibleLocked(r *http.Request, id int64) bool {
	owner, name := r.PathValue("owner"), r.PathValue("repo")
	for _, inst := range s.installations {
		if inst.ID != id || !strings.EqualFold(inst.Account, owner) {
			continue
		}
		if slices.ContainsFunc(inst.Repos, func(x Repository) bool { return strings.EqualFold(x.Name, name) }) {
			return true
		}
	}
	return false
}

// listPulls is GET /repos/{owner}/{repo}/pulls: state open (default),
// closed or all; newest first, as GitHub sorts by creation by default. A
// repository the token's installation cannot access is 404.
func (s *Server) listPulls(w http.ResponseWriter, r *http.Request) {
	id, _ := s.tokenInstallation(r)
	state := cmp.Or(r.URL.Query().Get("state"), "open")
	if !slices.Contains([]string{"open", "closed", "all"}, state) {
		invalid(w, fmt.Sprintf("For 'state', %q is not a member of enum.", state))
		return
	}
	s.mu.Lock()
	if !s.accessibleLocked(r, id) {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	owner, repo := r.PathValue("owner"), r.PathValue("repo")
	var out []any
	list := s.pulls[owner+"/"+repo]
	for i := len(list) - 1; i >= 0; i-- {
		if p := list[i]; state == "all" || p.state == state {
			out = append(out, s.pullJSON(owner, repo, p))
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.page(w, r, out))
}

func (s *Server) pullJSON(owner, repo string, p pull) map[string]any {
	repoJSON := s.repoJSON(owner, Repository{Name: repo})
	return map[string]any{
		"number": p.pr.Number, "state": p.state, "title": fmt.Sprintf("PR %d", p.pr.Number),
		"url":  fmt.Sprintf("%srepos/%s/%s/pulls/%d", s.URL(), owner, repo, p.pr.Number),
		"head": map[string]any{"sha": p.pr.HeadSHA, "ref": p.pr.HeadRef, "repo": repoJSON},
		"base": map[string]any{"sha": p.pr.BaseSHA, "ref": cmp.Or(p.pr.BaseRef, "main"), "repo": repoJSON},
	}
}

// listCheckRunsForRef is GET /repos/{owner}/{repo}/commits/{ref}/check-runs
// for a commit sha: check_name, status, app_id and filter (latest, the
// default: only the newest run of each name and app; or all).
func (s *Server) listCheckRunsForRef(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	filter := cmp.Or(q.Get("filter"), "latest")
	if filter != "latest" && filter != "all" {
		invalid(w, fmt.Sprintf("For 'filter', %q is not a member of enum.", filter))
		return
	}
	appID, _ := strconv.ParseInt(q.Get("app_id"), 10, 64)
	s.mu.Lock()
	var runs []*CheckRun
	for _, c := range s.checkRuns {
		if c.Owner == r.PathValue("owner") && c.Repo == r.PathValue("repo") && strings.EqualFold(c.HeadSHA, r.PathValue("ref")) &&
			(q.Get("check_name") == "" || c.Name == q.Get("check_name")) && (appID == 0 || c.AppID == appID) {
			runs = append(runs, c)
		}
	}
	slices.SortFunc(runs, func(a, b *CheckRun) int { return cmp.Compare(b.ID, a.ID) }) // newest first
	if filter == "latest" {
		seen := map[string]bool{}
		runs = slices.DeleteFunc(runs, func(c *CheckRun) bool {
			k := fmt.Sprintf("%d/%s", c.AppID, c.Name)
			dup := seen[k]
			seen[k] = true
			return dup
		})
	}
	out := make([]any, 0, len(runs))
	for _, c := range runs {
		if st := q.Get("status"); st == "" || c.Status == st {
			out = append(out, s.runJSON(c))
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(out), "check_runs": s.page(w, r, out)})
}

// page cuts items to the request's page (per_page default 30, at most
// 100) and sets the Link header, keeping the request's other parameters.
func (s *Server) page(w http.ResponseWriter, r *http.Request, items []any) []any {
	perPage := min(max(queryInt(r, "per_page", defaultPerPage), 1), maxPerPage)
	page := max(queryInt(r, "page", 1), 1)
	last := max((len(items)+perPage-1)/perPage, 1)
	start := min((page-1)*perPage, len(items))
	end := min(start+perPage, len(items))
	link := func(p int, rel string) string {
		q := r.URL.Query()
		q.Set("per_page", strconv.Itoa(perPage))
		q.Set("page", strconv.Itoa(p))
		u := url.URL{Path: apiPrefix + r.URL.Path, RawQuery: q.Encode()}
		return "<" + s.srv.URL + u.String() + `>; rel="` + rel + `"`
	}
	var rels []string
	if page > 1 {
		rels = append(rels, link(page-1, "prev"))
	}
	if page < last {
		rels = append(rels, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		rels = append(rels, link(1, "first"))
	}
	if len(rels) > 0 {
		w.Header().Set("Link", strings.Join(rels, ", "))
	}
	return append([]any{}, items[start:end]...)
}
