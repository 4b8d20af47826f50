package testgithub

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	// maxJWTLife is GitHub's bound on exp − iat: exp at most 10 minutes
	// ahead, iat typically 60 s back for clock drift.
	maxJWTLife = 10*time.Minute + 60*time.Second
	// maxJWTAhead is how far exp may be in the future (10 minutes, plus a
	// little for the request's own latency).
	maxJWTAhead = 10*time.Minute + 5*time.Second
	jwtLeeway   = 60 * time.Second
	tokenChars  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

type token struct {
	installation int64
	expires      time.Time
	revoked      bool
}

// IssuedTokens returns every installation token issued so far, in order
// (for tests asserting that tokens never leak into errors or logs).
func (s *Server) IssuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}

// ExpireTokens revokes every token issued so far: using one gets 401, as
// after a token expired or was revoked on GitHub's side.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		t.revoked = true
	}
}

// createToken is POST /app/installations/{id}/access_tokens.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		writeError(w, http.StatusUnauthorized, "A JSON web token could not be decoded")
		return
	}
	if err := s.verifyJWT(raw); err != nil {
		writeError(w, http.StatusUnauthorized, "A JSON web token could not be verified: "+err.Error())
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	if body, _ := io.ReadAll(r.Body); len(body) > 0 && !json.Valid(body) {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	tok, exp := s.issue(id)
	writeJSON(w, http.StatusCreated, map[string]any{
		"token":                tok,
		"expires_at":           exp.UTC().Format(time.RFC3339),
		"permissions":          map[string]string{"checks": "write", "contents": "read", "metadata": "read", "pull_requests": "read"},
		"repository_selection": "all",
	})
}

func (s *Server) issue(installation int64) (string, time.Time) {
	b := make([]byte, 36)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = tokenChars[int(b[i])%len(tokenChars)]
	}
	tok := "ghs_" + string(b)
	exp := time.Now().Add(s.tokenTTL)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[tok] = &token{installation: installation, expires: exp}
	s.issued = append(s.issued, tok)
	return tok, exp
}

// verifyJWT checks an app JWT like GitHub: RS256 with the app's key, iss
// the app id, integer iat and exp, exp at most 10 minutes ahead.
func (s *Server) verifyJWT(raw string) error {
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(raw, &claims,
		func(*jwt.Token) (any, error) { return s.pub, nil },
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(strconv.FormatInt(s.appID, 10)),
		jwt.WithIssuedAt(),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(jwtLeeway),
	)
	if err != nil {
		return err
	}
	if claims.IssuedAt == nil {
		return errors.New("'Issued at' claim ('iat') is missing")
	}
	if life := claims.ExpiresAt.Sub(claims.IssuedAt.Time); life > maxJWTLife {
		return fmt.Errorf("'exp' is %v after 'iat', more than %v", life, maxJWTLife)
	}
	if ahead := time.Until(claims.ExpiresAt.Time); ahead > maxJWTAhead {
		return errors.New("'Expiration time' claim ('exp') is too far in the future")
	}
	return integerClaims(raw)
}

// integerClaims rejects fractional iat/exp, which GitHub refuses.
func integerClaims(raw string) error {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return errors.New("malformed token")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return errors.New("malformed payload")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(payload, &m); err != nil {
		return errors.New("malformed payload")
	}
	for _, k := range []string{"iat", "exp"} {
		if _, err := strconv.ParseInt(string(m[k]), 10, 64); err != nil {
			return fmt.Errorf("'%s' claim is not an integer", k)
		}
	}
	return nil
}

// authed wraps a repository endpoint: it requires a live installation
// token, as "token <t>" or "Bearer <t>".
func (s *Server) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := s.tokenInstallation(r); !ok {
			writeError(w, http.StatusUnauthorized, "Bad credentials")
			return
		}
		next(w, r)
	}
}

// tokenInstallation is the installation of the request's live token.
func (s *Server) tokenInstallation(r *http.Request) (int64, bool) {
	auth := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(auth, "token ")
	if !ok {
		raw, ok = strings.CutPrefix(auth, "Bearer ")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, found := s.tokens[raw]
	if !ok || !found || t.revoked || !time.Now().Before(t.expires) {
		return 0, false
	}
	return t.installation, true
}

// appAuthed wraps an app endpoint (/app/...): it requires the app's JWT as
// "Bearer <jwt>"; an installation token is refused like GitHub does.
func (s *Server) appAuthed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			writeError(w, http.StatusUnauthorized, "A JSON web token could not be decoded")
			return
		}
		if err := s.verifyJWT(raw); err != nil {
			writeError(w, http.StatusUnauthorized, "A JSON web token could not be decoded")
			return
		}
		next(w, r)
	}
}
