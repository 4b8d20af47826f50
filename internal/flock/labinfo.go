package flock

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mobu-dev/mobu/internal/notebook"
)

// LabImage is the image a lab runs, as Nublado sets it in the lab's
// environment (JUPYTER_IMAGE_SPEC and IMAGE_DESCRIPTION).
type LabImage struct {
	Reference   string `json:"reference"`
	Description string `json:"description"`
}

// labInfoCode prints the lab's image and node without leaving any name
// behind in the kernel: a notebook that forgets "import os" must still fail.
const labInfoCode = `print(__import__("json").dumps({k: __import__("os").environ.get(k, "") for k in ` +
	`("JUPYTER_IMAGE_SPEC", "IMAGE_DESCRIPTION", "KUBERNETES_NODE_NAME")}))`

// readLabInfo records the image and (with get_node) the node of a freshly
// spawned lab, once per spawn. A failure is logged and otherwise ignored:
// it says nothing about the lab's health that the notebooks won't.
func (b *labBusiness) readLabInfo(ctx context.Context, sess notebook.Session) {
	if b.infoRead {
		return
	}
	b.infoRead = true
	exec, err := sess.Execute(ctx, labInfoCode, notebook.ExecOptions{Timeout: b.opts.JupyterTimeout.D()})
	if err == nil && exec.Status != "ok" {
		err = fmt.Errorf("%s: %s", exec.EName, exec.EValue)
	}
	var env map[string]string
	if err == nil {
		out := strings.TrimSpace(exec.Output)
		err = json.Unmarshal([]byte(out[strings.LastIndexByte(out, '\n')+1:]), &env)
	}
	if err != nil {
		b.env.Logger.Warn("could not read the lab's image and node", "error", err)
		return
	}
	var img *LabImage
	if ref := env["JUPYTER_IMAGE_SPEC"]; ref != "" {
		img = &LabImage{Reference: ref, Description: env["IMAGE_DESCRIPTION"]}
	}
	node := ""
	if b.opts.GetNode {
		node = env["KUBERNETES_NODE_NAME"]
	}
	if img != nil || node != "" {
		b.env.Logger.Info("lab running", "image", env["JUPYTER_IMAGE_SPEC"], "image_description", env["IMAGE_DESCRIPTION"],
			"node", node)
	}
	b.status.update(func(s *BusinessStatus) { s.Image, s.Node = img, node })
	b.lastImage, b.lastNode = img, node
}

// lastLab is the image and node of the latest lab, kept after its deletion
// so that a failure reported once the lab is gone still names them.
func (b *labBusiness) lastLab() (*LabImage, string) { return b.lastImage, b.lastNode }

// forgetLabInfo clears the image and node once the lab is gone.
func (b *labBusiness) forgetLabInfo() {
	b.infoRead = false
	b.status.update(func(s *BusinessStatus) { s.Image, s.Node = nil, "" })
}
