package mnist

import (
	"strings"

	"github.com/convlab/convlab/conv"
)

// LayerInfo describes module Index of the nn.Sequential for the explorer
// (internal/explain): its kind, shapes, the engine object that runs it and
// its parameters. Weight and Bias are the Net's own (read-only for callers).
type LayerInfo struct {
	Index    int
	Kind     string // "conv", "relu", "maxpool", "flatten", "linear"
	Module   string // as PyTorch prints it: "Conv2d(1, 32, kernel_size=(3, 3), padding=(1, 1))"
	In, Out  [3]int // C, H, W of one image
	Geometry *conv.Geometry
	Pool     *conv.Pool // maxpool: the layer's pooling over its C channels
	Weight   *Param     // conv: out×in×kh×kw; linear: out×in
	Bias     *Param
}

// Layers describes the network's modules in order.
func (n *Net) Layers() []LayerInfo {
	desc := n.Describe()
	out := make([]LayerInfo, len(n.layers))
	for i, l := range n.layers {
		in, o := l.inShape(), l.outShape()
		li := LayerInfo{Index: i, Kind: l.kind(), In: [3]int{in.C, in.H, in.W}, Out: [3]int{o.C, o.H, o.W}}
		_, li.Module, _ = strings.Cut(desc[i], ": ")
		switch l := l.(type) {
		case *convLayer:
			li.Geometry, li.Weight, li.Bias = l.g, l.w, l.b
		case *poolLayer:
			li.Pool = l.p
		}
		out[i] = li
	}
	return out
}

// Activations runs img through the network, module by module, and returns
// every module's output for it (fresh copies, one per layer, in order; the
// ReLU outputs full size). The last one is the logits.
func (n *Net) Activations(img []float32) [][]float32 {
	checkImage(img)
	ws := n.predictWS()
	defer n.pool.Put(ws)
	out := make([][]float32, len(n.layers))
	x := img
	for i, l := range n.layers {
		if l.kind() == "relu" {
			x = append([]float32(nil), x...) // the ReLU works in place: keep the conv's output
		}
		x = l.forward(ws.st[i], x, 1)
		out[i] = append([]float32(nil), x...)
	}
	return out
}

// SoftmaxTrace is the softmax of one row of logits, step by step, as the
// network computes it: Max is subtracted from every logit, Exps are
// exp(logit − Max), Sum their sum, Probs = Exps / Sum.
type SoftmaxTrace struct {
	Max   float32
	Exps  []float64
	Sum   float64
	Probs []float32
}

// SoftmaxSteps computes the softmax of logits (the same code as Predict).
func SoftmaxSteps(logits []float32) SoftmaxTrace {
	t := SoftmaxTrace{Exps: make([]float64, len(logits)), Probs: make([]float32, len(logits))}
	t.Max, t.Sum = softmaxRow(t.Probs, logits, t.Exps)
	return t
}
