package notebook

import (
	"path"
	"strings"
)

// Match reports whether a slash-separated path relative to the repository
// root matches a pathlib-style glob: '*', '?' and '[…]' stay within one
// segment, a '**' segment matches any number of segments (zero included),
// and a pattern without '**' matches at its own depth only ("x.ipynb" only
// at the root).
func Match(pattern, name string) bool {
	return matchSegments(splitPath(pattern), splitPath(name))
}

func splitPath(p string) []string {
	p = strings.Trim(path.Clean("/"+p), "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func matchSegments(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for len(pat) > 0 && pat[0] == "**" {
				pat = pat[1:]
			}
			if len(pat) == 0 {
				return true
			}
			for i := range len(name) + 1 {
				if matchSegments(pat, name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, err := path.Match(pat[0], name[0]); err != nil || !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}
