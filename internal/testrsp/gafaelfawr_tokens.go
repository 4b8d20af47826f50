package testrsp

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"time"
)

// Gafaelfawr's validation rules (src/gafaelfawr/constants.py).
var (
	usernameRE  = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9]|-[a-z0-9])*[a-z](?:[a-z0-9]|-[a-z0-9])*$`)
	botRE       = regexp.MustCompile(`^bot-[a-z0-9](?:[a-z0-9]|-[a-z0-9])*$`)
	groupnameRE = regexp.MustCompile(`^([a-zA-Z]|[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z])[a-zA-Z0-9._-]*$`)
	scopeRE     = regexp.MustCompile(`^[a-zA-Z0-9:._-]+$`)
)

// minimumLifetime is Gafaelfawr's MINIMUM_LIFETIME for a new token.
const minimumLifetime = 5 * time.Minute

// tokenRequest is Gafaelfawr's AdminTokenRequest (models/token.py).
type tokenRequest struct {
	Username  *string         `json:"username"`
	TokenType *string         `json:"token_type"`
	TokenName *string         `json:"token_name"`
	Scopes    []string        `json:"scopes"`
	Expires   json.RawMessage `json:"expires"`
	Name      *string         `json:"name"`
	Email     *string         `json:"email"`
	UID       *int            `json:"uid"`
	GID       *int            `json:"gid"`
	Groups    *[]Group        `json:"groups"`
}

// createToken is POST /auth/api/v1/tokens.
func (g *Gafaelfawr) createToken(w http.ResponseWriter, r *http.Request) {
	c, ok := g.authenticate(w, r)
	if !ok {
		return
	}
	if !c.admin {
		forbidden(w, "Token does not have required scope admin:token")
		return
	}
	req, raw, errs := decodeTokenRequest(r.Body)
	var expires time.Time
	if len(errs) == 0 {
		expires, errs = validateTokenRequest(req)
	}
	if len(errs) > 0 {
		writeDetail(w, http.StatusUnprocessableEntity, errs...)
		return
	}
	if *req.TokenType == "service" && !botRE.MatchString(*req.Username) {
		forbidden(w, `Username "`+*req.Username+`" must start with "bot-"`)
		return
	}
	if d, bad := g.checkGrant(req.Scopes, expires); bad {
		writeDetail(w, http.StatusUnprocessableEntity, d)
		return
	}
	m := g.record(req, raw, expires)
	w.Header().Set("Location", gafaelfawrPrefix+"/users/"+url.PathEscape(m.Username)+"/tokens/"+m.Key)
	writeJSON(w, http.StatusCreated, map[string]string{"token": m.Token})
}

// decodeTokenRequest reads the body both as a record and as the model.
func decodeTokenRequest(body io.Reader) (*tokenRequest, map[string]any, []detail) {
	data, err := io.ReadAll(io.LimitReader(body, 1<<20))
	if err != nil {
		return nil, nil, []detail{{Type: "json_invalid", Loc: []any{"body"}, Msg: err.Error()}}
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil || raw == nil {
		return nil, nil, []detail{{Type: "json_invalid", Loc: []any{"body"}, Msg: "JSON decode error"}}
	}
	var req tokenRequest
	if err := json.Unmarshal(data, &req); err != nil {
		return nil, nil, []detail{{Type: "model_attributes_type", Loc: []any{"body"}, Msg: err.Error()}}
	}
	return &req, raw, nil
}

// validateTokenRequest applies AdminTokenRequest's field rules.
func validateTokenRequest(req *tokenRequest) (time.Time, []detail) {
	var errs []detail
	add := func(field, typ, msg string) {
		errs = append(errs, detail{Type: typ, Loc: []any{"body", field}, Msg: msg})
	}
	switch {
	case req.Username == nil:
		add("username", "missing", "Field required")
	case len(*req.Username) > 64 || !usernameRE.MatchString(*req.Username):
		add("username", "string_pattern_mismatch", "String should match pattern '"+usernameRE.String()+"'")
	}
	switch {
	case req.TokenType == nil:
		add("token_type", "missing", "Field required")
	case *req.TokenType != "service" && *req.TokenType != "user":
		add("token_type", "value_error", "Value error, token_type must be service or user")
	case *req.TokenType == "service" && req.TokenName != nil && *req.TokenName != "":
		add("token_name", "value_error", "Value error, Tokens of type service cannot have a name")
	case *req.TokenType == "user" && (req.TokenName == nil || *req.TokenName == ""):
		add("token_name", "value_error", "Value error, Tokens of type user must have a name")
	}
	for _, s := range req.Scopes {
		if !scopeRE.MatchString(s) {
			add("scopes", "value_error", "Value error, Invalid scope "+s)
		}
	}
	expires, ok := parseExpires(req.Expires)
	if !ok {
		add("expires", "datetime_parsing", "Input should be a valid datetime")
	}
	errs = append(errs, validateIdentity(req)...)
	return expires, errs
}

// validateIdentity checks the name, email, uid, gid and groups fields.
func validateIdentity(req *tokenRequest) []detail {
	var errs []detail
	add := func(loc []any, typ, msg string) {
		errs = append(errs, detail{Type: typ, Loc: append([]any{"body"}, loc...), Msg: msg})
	}
	if req.Name != nil && *req.Name == "" {
		add([]any{"name"}, "string_too_short", "String should have at least 1 character")
	}
	if req.Email != nil && *req.Email == "" {
		add([]any{"email"}, "string_too_short", "String should have at least 1 character")
	}
	if req.UID != nil && *req.UID < 1 {
		add([]any{"uid"}, "greater_than_equal", "Input should be greater than or equal to 1")
	}
	if req.GID != nil && *req.GID < 1 {
		add([]any{"gid"}, "greater_than_equal", "Input should be greater than or equal to 1")
	}
	if req.Groups != nil {
		for i, grp := range *req.Groups {
			if !groupnameRE.MatchString(grp.Name) {
				add([]any{"groups", i, "name"}, "string_pattern_mismatch",
					"String should match pattern '"+groupnameRE.String()+"'")
			}
		}
	}
	return errs
}

// parseExpires accepts null, seconds since the epoch or an ISO 8601 time.
func parseExpires(raw json.RawMessage) (time.Time, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, true
	}
	var secs float64
	if err := json.Unmarshal(raw, &secs); err == nil {
		return time.Unix(int64(secs), 0).UTC(), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// checkGrant applies the token service's scope and expiry rules.
func (g *Gafaelfawr) checkGrant(scopes []string, expires time.Time) (detail, bool) {
	if g.known != nil {
		for _, s := range scopes {
			if !g.known[s] {
				return detail{Type: "invalid_scopes", Loc: []any{"body", "scopes"}, Msg: "Unknown scopes requested"}, true
			}
		}
	}
	if !expires.IsZero() && expires.Before(g.now().Add(minimumLifetime)) {
		return detail{Type: "invalid_expires", Loc: []any{"body", "expires"},
			Msg: "Token must be valid for at least five minutes"}, true
	}
	return detail{}, false
}

// record mints and stores a token for a validated request.
func (g *Gafaelfawr) record(req *tokenRequest, raw map[string]any, expires time.Time) *MintedToken {
	token := newToken()
	key, _, _ := splitToken(token)
	m := &MintedToken{
		Token: token, Key: key, Username: *req.Username, TokenType: *req.TokenType,
		Scopes: slices.Clone(req.Scopes), Expires: expires, UID: req.UID, GID: req.GID,
		Created: g.now().UTC().Truncate(time.Second), Body: raw,
	}
	if req.Name != nil {
		m.Name = *req.Name
	}
	if req.Groups != nil {
		m.Groups = append([]Group{}, *req.Groups...)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.tokens = append(g.tokens, m)
	g.byKey[key] = m
	return m
}
