// Package jupyter is a client for JupyterHub and Jupyter Server: it creates bot
// users and their tokens, spawns and deletes labs, opens kernel sessions and
// runs code over the kernel websocket in either the v1.kernel.websocket.jupyter.org
// binary framing or legacy JSON frames.
//
// It is a leaf package: it knows nothing of notebooks, flocks or events.
package jupyter
