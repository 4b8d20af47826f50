package notebook

import (
	"fmt"
	"path"
	"strings"
)

// AppFor returns the application a notebook is named after: the longest
// known name that equals the file stem or starts it followed by '_', '-' or
// '.' ("vo-cutouts_sync" → "vo-cutouts"); "" when none matches.
func AppFor(notebookPath string, known map[string]bool) string {
	stem := strings.ToLower(strings.TrimSuffix(path.Base(notebookPath), ".ipynb"))
	best := ""
	for name := range known {
		n := strings.ToLower(name)
		if len(n) <= len(best) {
			continue
		}
		if stem == n || strings.HasPrefix(stem, n) && strings.ContainsRune("_-.", rune(stem[len(n)])) {
			best = name
		}
	}
	return best
}

// appNameStep drops notebooks named after an application that is known but
// not enabled; notebooks named after no application are kept.
func appNameStep(apps map[string]bool) step {
	return func(p string) string {
		if app := AppFor(p, apps); app != "" && !apps[app] {
			return fmt.Sprintf("app-name rule: application %s is not enabled", app)
		}
		return ""
	}
}
