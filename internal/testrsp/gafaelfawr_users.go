package testrsp

import "net/http"

// userInfo is Gafaelfawr's UserInfo model as served (None fields left out).
type userInfo struct {
	Username string  `json:"username"`
	Name     string  `json:"name,omitempty"`
	UID      int     `json:"uid"`
	GID      int     `json:"gid"`
	Groups   []Group `json:"groups"`
}

// userInfo is GET /auth/api/v1/user-info: the identity of the bearer token.
// Like Gafaelfawr with Firestore and user private groups, a token without a
// UID gets the user's Firestore UID (assigned on first use, from 100000 for
// bots) and a token without a GID gets its UID as GID.
func (g *Gafaelfawr) userInfo(w http.ResponseWriter, r *http.Request) {
	c, ok := g.authenticate(w, r)
	if !ok {
		return
	}
	g.mu.Lock()
	info := userInfo{Username: c.username, Groups: []Group{}}
	var uid, gid *int
	if m := g.liveLocked(c.token); m != nil {
		info.Name = m.Name
		uid, gid = m.UID, m.GID
		if m.Groups != nil {
			info.Groups = append(info.Groups, m.Groups...)
		}
	}
	info.UID = g.uidLocked(c.username, uid)
	info.GID = info.UID
	if gid != nil {
		info.GID = *gid
	}
	g.mu.Unlock()
	writeJSON(w, http.StatusOK, info)
}

// uidLocked returns the token's UID or the user's Firestore one; g.mu held.
func (g *Gafaelfawr) uidLocked(username string, uid *int) int {
	if uid != nil {
		return *uid
	}
	if n, ok := g.uids[username]; ok {
		return n
	}
	n := g.nextUID
	g.nextUID++
	g.uids[username] = n
	return n
}

// deleteToken is DELETE /auth/api/v1/users/{username}/tokens/{key}: admins
// may revoke anyone's token, users their own; 404 for unknown keys.
func (g *Gafaelfawr) deleteToken(w http.ResponseWriter, r *http.Request) {
	c, ok := g.authenticate(w, r)
	if !ok {
		return
	}
	username, key := r.PathValue("username"), r.PathValue("key")
	if len(key) != 22 {
		writeDetail(w, http.StatusUnprocessableEntity, detail{Type: "string_too_short",
			Loc: []any{"path", "key"}, Msg: "String should have 22 characters"})
		return
	}
	if !c.admin && c.username != username {
		forbidden(w, "Token does not have required scope admin:token")
		return
	}
	g.mu.Lock()
	m := g.byKey[key]
	found := m != nil && m.Username == username && g.liveLocked(m.Token) != nil
	if found {
		m.Revoked = true
	}
	g.mu.Unlock()
	if !found {
		writeDetail(w, http.StatusNotFound, detail{Type: "not_found",
			Loc: []any{"path", "key"}, Msg: "Token not found"})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
