package api

import (
	_ "embed" // the OpenAPI document
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// openAPISource is the hand-written OpenAPI document. Its paths use the
// default prefix /mobu; openAPIDocument moves them under the configured one.
//
//go:embed openapi.json
var openAPISource []byte

// docPrefix is the prefix the embedded document is written with.
const docPrefix = "/mobu"

// openAPIDocument returns the document with paths under prefix and the
// service metadata in info.
func openAPIDocument(prefix string, meta Metadata) []byte {
	var doc map[string]any
	if err := json.Unmarshal(openAPISource, &doc); err != nil {
		return openAPISource // a broken document fails the tests
	}
	paths, _ := doc["paths"].(map[string]any)
	moved := make(map[string]any, len(paths))
	for p, item := range paths {
		if rest, ok := strings.CutPrefix(p, docPrefix); ok {
			p = prefix + rest
		}
		moved[p] = item
	}
	doc["paths"] = moved
	if info, ok := doc["info"].(map[string]any); ok {
		setIf(info, "title", meta.Name)
		setIf(info, "version", meta.Version)
		setIf(info, "description", meta.Description)
	}
	out, err := encodeJSON(doc)
	if err != nil {
		return openAPISource
	}
	return out
}

func setIf(m map[string]any, key, value string) {
	if value != "" {
		m[key] = value
	}
}

func (s *Server) getOpenAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, s.openapi)
}
