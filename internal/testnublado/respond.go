package testnublado

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
)

// hubErrorPage is JupyterHub's error.html, reduced to what clients see.
const hubErrorPage = `<!DOCTYPE HTML>
<html>
<head><meta charset="utf-8"><title>JupyterHub</title></head>
<body>
<div class="error">
  <h1>%d : %s</h1>
  <p>%s</p>
</div>
</body>
</html>
`

// ingressPage is ingress-nginx's own error page (Gafaelfawr's auth answers).
const ingressPage = `<html>
<head><title>%[1]d %[2]s</title></head>
<body>
<center><h1>%[1]d %[2]s</h1></center>
<hr><center>nginx</center>
</body>
</html>
`

// hubPageError answers like a JupyterHub page handler (HTML error page).
func hubPageError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, hubErrorPage, status, http.StatusText(status), html.EscapeString(message))
}

// hubAPIError answers like a JupyterHub API handler:
// {"status": N, "message": "..."}.
func hubAPIError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, struct {
		Status  int    `json:"status"`
		Message string `json:"message"`
	}{status, message})
}

// labAPIError answers like a jupyter_server API handler:
// {"message": "...", "reason": null}.
func labAPIError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, struct {
		Message string  `json:"message"`
		Reason  *string `json:"reason"`
	}{message, nil})
}

// ingressError answers like ingress-nginx when Gafaelfawr rejects a request
// (401 with a WWW-Authenticate challenge, or 403).
func ingressError(w http.ResponseWriter, status int, challenge string) {
	text := http.StatusText(status)
	if status == http.StatusUnauthorized {
		text = "Authorization Required"
		w.Header().Set("WWW-Authenticate", challenge)
	}
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	fmt.Fprintf(w, ingressPage, status, text)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// redirect answers 302 like tornado's RequestHandler.redirect.
func redirect(w http.ResponseWriter, location string) {
	w.Header().Set("Location", location)
	w.WriteHeader(http.StatusFound)
}

// page answers 200 with a minimal HTML page.
func page(w http.ResponseWriter, title, body string) {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "<!DOCTYPE HTML>\n<html>\n<head><meta charset=\"utf-8\"><title>%s</title></head>\n<body>\n%s\n</body>\n</html>\n",
		html.EscapeString(title), body)
}

// spawnFormHTML renders Nublado's spawner form (the fields bots post).
func spawnFormHTML(xsrf string) string {
	hidden := ""
	if xsrf != "" {
		hidden = fmt.Sprintf(`<input type="hidden" name="_xsrf" value="%s"/>`, html.EscapeString(xsrf))
	}
	return `<form enctype="multipart/form-data" id="spawn_form" action="` + basePath + `/hub/spawn" method="post" role="form">
` + hidden + `
<div class="form-group">
<input type="radio" name="image_list" value="lighthouse.ceres/library/sketchbook:recommended" checked> Recommended
<select name="image_dropdown"><option value="lighthouse.ceres/library/sketchbook:w_2026_47">Weekly 2026_47</option></select>
<select name="size">
<option value="Small">Small</option><option value="Medium">Medium</option><option value="Large" selected>Large</option>
</select>
<input type="checkbox" name="enable_debug" value="true"> Enable debug logs
<input type="checkbox" name="reset_user_env" value="true"> Reset user environment
</div>
<input type="submit" value="Start" class="btn btn-jupyter form-control">
</form>`
}
