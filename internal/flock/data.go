package flock

// MonkeyData is what the API shows of a monkey. It never contains a token.
type MonkeyData struct {
	Name      string       `json:"name"`
	State     State        `json:"state"`
	User      UserData     `json:"user"`
	Business  BusinessData `json:"business"`
	LastError string       `json:"last_error,omitempty"`
}

// UserData is a bot user's identity (no credentials).
type UserData struct {
	Username  string  `json:"username"`
	UIDNumber *int    `json:"uidnumber,omitempty"`
	GIDNumber *int    `json:"gidnumber,omitempty"`
	Groups    []Group `json:"groups,omitempty"`
}

// Group is a bot user's group.
type Group struct {
	Name string `json:"name"`
	ID   int    `json:"id"`
}

// BusinessData is a monkey's business: type, counts and what it is doing.
type BusinessData struct {
	Name         string `json:"name"`
	SuccessCount int64  `json:"success_count"`
	FailureCount int64  `json:"failure_count"`
	BusinessStatus
}

// Data returns the monkey's current data.
func (m *Monkey) Data() MonkeyData {
	m.mu.Lock()
	state, lastErr := m.state, m.lastErr
	m.mu.Unlock()
	u := UserData{Username: m.user.Username, UIDNumber: m.user.UIDNumber, GIDNumber: m.user.GIDNumber}
	for _, g := range m.user.Groups {
		u.Groups = append(u.Groups, Group{Name: g.Name, ID: g.ID})
	}
	return MonkeyData{
		Name: m.name, State: state, User: u, LastError: lastErr,
		Business: BusinessData{Name: m.typ, SuccessCount: m.successes.Load(), FailureCount: m.failures.Load(),
			BusinessStatus: m.biz.Status()},
	}
}

// Name is the monkey's name (its username).
func (m *Monkey) Name() string { return m.name }

// Log returns the monkey's retained log.
func (m *Monkey) Log() LogReader { return m.logs }
