package ci

import (
	"log/slog"
	"net/url"
	"strings"
)

// prKey identifies a pull request: a newer job for it supersedes older ones.
type prKey struct {
	owner, name string
	pr          int
}

func keyOf(j Job) prKey {
	return prKey{strings.ToLower(j.Repo.Owner), strings.ToLower(j.Repo.Name), j.PR}
}

// supersedes reports whether newer replaces older: the same pull request,
// and for a re-run the same commit.
func supersedes(newer, older Job) bool {
	if keyOf(newer) != keyOf(older) {
		return false
	}
	return !newer.Rerun || strings.EqualFold(newer.HeadSHA, older.HeadSHA)
}

// logAttrs are the fields every log line about a job carries.
func logAttrs(j Job) []any {
	return []any{"repo", j.Repo.Owner + "/" + j.Repo.Name, "pr", j.PR, "sha", j.HeadSHA, "rerun", j.Rerun, "delivery", j.Delivery}
}

// commitURL is the commit's web page: on github.com, or on the host of the
// clone URL when that is another (GitHub Enterprise) host.
func commitURL(j Job) string {
	scheme, host := "https", "github.com"
	if u, err := url.Parse(j.Repo.CloneURL); err == nil && u.Host != "" {
		host = u.Host
		if u.Scheme == "http" {
			scheme = "http"
		}
	}
	return scheme + "://" + host + "/" + j.Repo.Owner + "/" + j.Repo.Name + "/commit/" + j.HeadSHA
}

// changedNotebooks keeps the notebooks a pull request adds or changes (a
// renamed one under its new path), without duplicates, in GitHub's order.
func changedNotebooks(files []ChangedFile) []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range files {
		switch f.Status {
		case "added", "modified", "changed", "renamed":
		default: // removed, copied, unchanged
			continue
		}
		if !strings.HasSuffix(f.Path, ".ipynb") || seen[f.Path] {
			continue
		}
		seen[f.Path] = true
		out = append(out, f.Path)
	}
	return out
}

// jobLogger is log with the job's fields.
func jobLogger(log *slog.Logger, j Job) *slog.Logger { return log.With(logAttrs(j)...) }
