// Package driver builds the lab drivers a configuration selects and adapts
// them to the notebook domain's Lab: the plain JupyterHub driver (an admin
// token) and the Rubin Science Platform driver (Repertoire discovery,
// Gafaelfawr bot tokens, Nublado's hub used as a browser would).
package driver
