package jupyter

import (
	"context"
	"testing"
)

// BenchmarkExecute measures the client's own cost per trivial cell (encode,
// one write, reader routing, done rule) against the in-process fake kernel on
// loopback. It bounds what mobu adds per cell, independent of any server.
func BenchmarkExecute(b *testing.B) {
	for _, v1 := range []bool{true, false} {
		name := map[bool]string{true: "v1", false: "legacy"}[v1]
		b.Run(name, func(b *testing.B) {
			f := newFakeKernel(b, v1, func(m *message, r *replier) {
				r.busy()
				r.send("iopub", "stream", map[string]string{"name": "stdout", "text": "2\n"}, nil, true)
				r.reply()
				r.idle()
			})
			k := f.connect(b, ProtocolAuto, KernelOptions{})
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := k.Execute(context.Background(), "print(1+1)", ExecOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
