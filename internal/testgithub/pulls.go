package testgithub

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

const (
	// maxPRFiles is GitHub's cap on the files listed for a pull request.
	maxPRFiles      = 3000
	defaultPerPage  = 30
	maxPerPage      = 100
	defaultFileStat = "modified"
)

// File is a file of a pull request, as listed by
// GET /repos/{owner}/{repo}/pulls/{number}/files.
type File struct {
	Filename         string
	Status           string // added, modified, changed, renamed, removed, copied, unchanged (default modified)
	PreviousFilename string // for renamed files
}

// SetPRFiles sets the files of pull request pr (which then exists).
func (s *Server) SetPRFiles(owner, repo string, pr int, files []File) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prFiles[prKey(owner, repo, pr)] = append([]File(nil), files...)
}

func prKey(owner, repo string, pr int) string { return fmt.Sprintf("%s/%s#%d", owner, repo, pr) }

// listFiles is GET /repos/{owner}/{repo}/pulls/{number}/files: per_page
// (default 30, at most 100) and page, Link headers, at most 3000 files.
func (s *Server) listFiles(w http.ResponseWriter, r *http.Request) {
	owner, repo := r.PathValue("owner"), r.PathValue("repo")
	pr, _ := strconv.Atoi(r.PathValue("number"))
	s.mu.Lock()
	files, ok := s.prFiles[prKey(owner, repo, pr)]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	files = files[:min(len(files), maxPRFiles)]
	perPage := queryInt(r, "per_page", defaultPerPage)
	perPage = min(max(perPage, 1), maxPerPage)
	page := max(queryInt(r, "page", 1), 1)
	last := max((len(files)+perPage-1)/perPage, 1)
	start := min((page-1)*perPage, len(files))
	end := min(start+perPage, len(files))

	if link := s.link(r.URL.Path, perPage, page, last); link != "" {
		w.Header().Set("Link", link)
	}
	out := make([]map[string]any, 0, end-start)
	for _, f := range files[start:end] {
		out = append(out, s.fileJSON(owner, repo, f))
	}
	writeJSON(w, http.StatusOK, out)
}

func queryInt(r *http.Request, key string, def int) int {
	n, err := strconv.Atoi(r.URL.Query().Get(key))
	if err != nil {
		return def
	}
	return n
}

// link builds GitHub's Link header (prev, next, last, first).
func (s *Server) link(path string, perPage, page, last int) string {
	u := func(p int) string {
		return fmt.Sprintf("<%s%s?per_page=%d&page=%d>", s.srv.URL+apiPrefix, path, perPage, p)
	}
	var rels []string
	if page > 1 {
		rels = append(rels, u(page-1)+`; rel="prev"`)
	}
	if page < last {
		rels = append(rels, u(page+1)+`; rel="next"`, u(last)+`; rel="last"`)
	}
	if page > 1 {
		rels = append(rels, u(1)+`; rel="first"`)
	}
	return strings.Join(rels, ", ")
}

func (s *Server) fileJSON(owner, repo string, f File) map[string]any {
	status := f.Status
	if status == "" {
		status = defaultFileStat
	}
	sum := sha1.Sum([]byte(f.Filename))
	sha := hex.EncodeToString(sum[:])
	m := map[string]any{
		"sha": sha, "filename": f.Filename, "status": status,
		"additions": 1, "deletions": 0, "changes": 1,
		"blob_url":     fmt.Sprintf("https://github.com/%s/%s/blob/%s/%s", owner, repo, sha, f.Filename),
		"raw_url":      fmt.Sprintf("https://github.com/%s/%s/raw/%s/%s", owner, repo, sha, f.Filename),
		"contents_url": fmt.Sprintf("%srepos/%s/%s/contents/%s?ref=%s", s.URL(), owner, repo, f.Filename, sha),
		"patch":        "@@ -0,0 +1 @@\n+x",
	}
	if f.PreviousFilename != "" {
		m["previous_filename"] = f.PreviousFilename
	}
	return m
}
