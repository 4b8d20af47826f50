package repertoire

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// discoveryJSON is the part of Repertoire's Discovery model (rubin.repertoire
// _models.py) that mobu reads; other fields (datasets, influxdb_databases,
// openapi, …) are ignored, so Repertoire may grow.
type discoveryJSON struct {
	Applications    []string `json:"applications"`
	EnvironmentName *string  `json:"environment_name"`
	Services        *struct {
		Internal map[string]apiService `json:"internal"`
		UI       map[string]urlOnly    `json:"ui"`
	} `json:"services"`
}

type apiService struct {
	URL      string             `json:"url"`
	Versions map[string]urlOnly `json:"versions"`
}

type urlOnly struct {
	URL string `json:"url"`
}

// parse decodes a discovery answer.
func parse(body []byte) (*Discovery, error) {
	var dj discoveryJSON
	if err := json.Unmarshal(body, &dj); err != nil {
		return nil, fmt.Errorf("decoding discovery: %w", err)
	}
	if dj.Services == nil {
		return nil, errors.New(`discovery has no "services"`)
	}
	d := &Discovery{Applications: dj.Applications}
	if d.Applications == nil {
		d.Applications = []string{}
	}
	if dj.EnvironmentName != nil {
		d.EnvironmentName = *dj.EnvironmentName
	}
	if gf, ok := dj.Services.Internal["gafaelfawr"]; ok {
		d.GafaelfawrURL = gafaelfawrBase(gf)
	}
	if nb, ok := dj.Services.UI["nublado"]; ok {
		d.NubladoURL = strings.TrimRight(nb.URL, "/")
	}
	return d, nil
}

// gafaelfawrBase is the v1 API base: versions.v1.url, which Repertoire
// announces (its url is the unversioned https://host/auth/api and is what
// the rubin.gafaelfawr client skips), else url for a Repertoire without
// versions.
func gafaelfawrBase(s apiService) string {
	if v1, ok := s.Versions["v1"]; ok && v1.URL != "" {
		return strings.TrimRight(v1.URL, "/")
	}
	return strings.TrimRight(s.URL, "/")
}

// unwrapURLError drops net/http's `Get "url": ` prefix; callers name the
// URL themselves.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
