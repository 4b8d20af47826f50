package testnublado

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

const (
	// spawnFields are the fields of Nublado's spawn form (LabRequestOptions).
	spawnFields = "image_list image_dropdown image_class image_tag size enable_debug reset_user_env"
	// imageFields select the image; exactly one must be set.
	imageFields  = "image_list image_dropdown image_class image_tag"
	imageClasses = "recommended latest-release latest-weekly latest-daily"
	labSizes     = "fine diminutive tiny small medium large huge gargantuan colossal"
	maxFormBytes = 1 << 20
)

// spawnPost is POST hub/spawn: Nublado's spawn form. It checks XSRF like
// tornado (before authentication), then the form like Nublado's controller,
// and starts the lab on the real hub with the form as user_options.
func (s *Server) spawnPost(c *call) {
	s.wantMode(c, "same-origin")
	form, problem := readForm(c.r)
	fail := func(status int, msg string) {
		s.violate(c.r, "%s", msg)
		hubPageError(c.w, status, msg)
	}
	if problem != "" {
		fail(http.StatusBadRequest, problem)
		return
	}
	l, ok := s.hubSession(c)
	if p := xsrfProblem(c.r, form.Get("_xsrf"), l.xsrf); p != "" {
		fail(http.StatusForbidden, p)
		return
	}
	if !ok {
		fail(http.StatusForbidden, "Forbidden (no hub login cookie: GET hub/home first)")
		return
	}
	form.Del("_xsrf")
	if msg := validateSpawnForm(form); msg != "" {
		fail(http.StatusBadRequest, msg)
		return
	}
	if status, msg := s.startLab(c.r.Context(), c.user, form); status != 0 {
		hubPageError(c.w, status, msg)
		return
	}
	redirect(c.w, basePath+"/hub/spawn-pending/"+c.user)
}

// readForm parses a form body (urlencoded, or multipart like a browser's).
func readForm(r *http.Request) (url.Values, string) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	r.Body = http.MaxBytesReader(nil, r.Body, maxFormBytes)
	var err error
	switch ct {
	case "application/x-www-form-urlencoded":
		err = r.ParseForm()
	case "multipart/form-data":
		err = r.ParseMultipartForm(maxFormBytes)
	default:
		return nil, fmt.Sprintf("Content-Type %q: the spawn form must be posted as application/x-www-form-urlencoded "+
			"(JupyterHub finds no form fields, so: No image to spawn specified)", ct)
	}
	if err != nil {
		return nil, "malformed form: " + err.Error()
	}
	return cloneValues(r.PostForm), ""
}

// validateSpawnForm checks the form like Nublado's LabRequestOptions and
// returns its error message, or "".
func validateSpawnForm(form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch {
		case !slices.Contains(strings.Fields(spawnFields), k):
			return fmt.Sprintf("Unknown spawn form field %q", k)
		case len(form[k]) != 1:
			return fmt.Sprintf("Too many values for %s", k)
		}
	}
	for _, check := range []func(url.Values) string{checkImage, checkSize, checkBooleans} {
		if msg := check(form); msg != "" {
			return msg
		}
	}
	return ""
}

func checkImage(form url.Values) string {
	var set []string
	for _, f := range strings.Fields(imageFields) {
		if form.Get(f) != "" && (f != "image_dropdown" || form.Get("image_list") == "") {
			set = append(set, f)
		}
	}
	slices.Sort(set)
	switch {
	case len(set) == 0:
		return "No image to spawn specified"
	case len(set) > 1:
		return fmt.Sprintf("Image specified multiple ways (%s)", strings.Join(set, ", "))
	case set[0] == "image_class" && !slices.Contains(strings.Fields(imageClasses), form.Get("image_class")):
		return fmt.Sprintf("Invalid image_class %q: must be one of %s", form.Get("image_class"),
			strings.ReplaceAll(imageClasses, " ", ", "))
	}
	return ""
}

func checkSize(form url.Values) string {
	size := form.Get("size")
	switch {
	case size == "":
		return "Field required: size"
	case !slices.Contains(strings.Fields(labSizes), strings.ToLower(size)):
		return fmt.Sprintf("Invalid size %q: must be one of %s (any case)", size, strings.ReplaceAll(labSizes, " ", ", "))
	}
	return ""
}

func checkBooleans(form url.Values) string {
	for _, f := range []string{"enable_debug", "reset_user_env"} {
		if v, ok := form[f]; ok && v[0] != "true" && v[0] != "false" {
			return fmt.Sprintf("Invalid boolean value %s for %s", v[0], f)
		}
	}
	return ""
}

// startLab starts u's lab on the real hub with the form as user_options (or,
// with SpawnFails, only marks the spawn failed) and records the form. It
// returns 0 or the status and message to answer with.
func (s *Server) startLab(ctx context.Context, u string, form url.Values) (int, string) {
	s.mu.Lock()
	delete(s.hanging, u)
	s.failed[u] = s.opts.SpawnFails
	s.mu.Unlock()
	if !s.opts.SpawnFails {
		if status, msg := s.hubStart(ctx, u, form); status != 0 {
			return status, msg
		}
	}
	s.mu.Lock()
	if !s.opts.SpawnFails {
		s.spawned[u] = true
	}
	s.forms = append(s.forms, cloneValues(form))
	s.posted[u] = time.Now()
	delete(s.settled, u)
	s.mu.Unlock()
	return 0, ""
}

// hubStart asks the real hub to start u's server with the form as
// user_options; it returns 0 or the status and message to answer with.
func (s *Server) hubStart(ctx context.Context, u string, form url.Values) (int, string) {
	opts := map[string]string{}
	for k, vs := range form {
		opts[k] = vs[0]
	}
	body, err := json.Marshal(opts)
	if err != nil {
		return http.StatusInternalServerError, err.Error()
	}
	status, answer, err := s.hubRead(ctx, http.MethodPost, "/hub/api/users/"+u+"/server", body)
	if err != nil {
		return http.StatusBadGateway, "testnublado: starting the lab: " + err.Error()
	}
	if status != http.StatusCreated && status != http.StatusAccepted {
		return status, hubMessage(answer) // e.g. 400 "... is already running"
	}
	return 0, ""
}

// hubMessage extracts "message" from a JupyterHub JSON error.
func hubMessage(body []byte) string {
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil && e.Message != "" {
		return e.Message
	}
	return strings.TrimSpace(string(body))
}
