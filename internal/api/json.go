package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
)

// encodeJSON renders v the way mobu does: keys sorted, 4-space indentation,
// no HTML escaping. Struct fields are sorted by re-decoding into maps.
func encodeJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	if err := enc.Encode(generic); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeJSON sends v as a mobu-style JSON body.
func writeJSON(c echo.Context, status int, v any) error {
	body, err := encodeJSON(v)
	if err != nil {
		return err
	}
	return c.Blob(status, echo.MIMEApplicationJSON, body)
}

// readJSON reads the request body (bounded by the body-limit middleware) and
// checks that it is one JSON value; decoding into the schema is config's job.
func readJSON(c echo.Context) ([]byte, error) {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, jsonError{err}
	}
	return body, nil
}

// accepted answers 202 with no body.
func accepted(c echo.Context) error { return c.NoContent(http.StatusAccepted) }
