package mnist

import (
	"fmt"

	"github.com/convlab/convlab/conv"
)

// LayerPass is one layer of a forward and backward pass over a batch of
// N images (issue 14, "from a real loss"): what went in and came out on
// the way forward, and the gradients of the loss on the way back. Slices
// are N × the shape (NCHW), fresh copies.
type LayerPass struct {
	Index    int    `json:"index"`    // position in the nn.Sequential
	Kind     string `json:"kind"`     // "conv", "relu", "maxpool", "flatten", "linear"
	Describe string `json:"describe"` // as PyTorch prints it: "(0): Conv2d(1, 32, ...)"
	InShape  [3]int `json:"in_shape"` // C, H, W of one image
	OutShape [3]int `json:"out_shape"`

	In  []float32 `json:"in"`  // the layer's input
	Out []float32 `json:"out"` // its output
	// GradOut is ∂loss/∂Out, GradIn ∂loss/∂In (nil for the first layer:
	// training needs no gradient of the image). ReLU passes GradOut only
	// where its input was positive; max pooling only to each window's
	// maximum; a conv or linear layer through its weights (conv.Conv's
	// Backward).
	GradOut []float32 `json:"grad_out"`
	GradIn  []float32 `json:"grad_in,omitempty"`

	// Conv and linear layers: the parameters and their gradients (summed
	// over the batch), in PyTorch's shapes.
	Weight      []float32 `json:"weight,omitempty"`
	WeightShape []int     `json:"weight_shape,omitempty"`
	GradWeight  []float32 `json:"grad_weight,omitempty"`
	Bias        []float32 `json:"bias,omitempty"`
	GradBias    []float32 `json:"grad_bias,omitempty"`
	// Geometry is the convolution the layer runs (a linear layer is a 1×1
	// convolution over In flattened to In×1×1); nil for the others.
	Geometry *conv.Geometry `json:"-"`
}

// Backprop is one forward and backward pass of a network over a batch
// under the mean cross-entropy loss, as a training step computes it
// (before the optimizer's update).
type Backprop struct {
	N      int     `json:"n"`
	Labels []uint8 `json:"labels"`
	Loss   float64 `json:"loss"` // mean cross-entropy
	// Logits, Probs (softmax) and GradLogits = (Probs - onehot(label)) / N,
	// N × Classes.
	Logits     []float32   `json:"logits"`
	Probs      []float32   `json:"probs"`
	GradLogits []float32   `json:"grad_logits"`
	Layers     []LayerPass `json:"layers"`
}

// Backprop runs x (b images of Pixels in [0,1]) with their labels forward
// and backward through a copy of the network (n itself is not touched, so
// it may be served concurrently) and returns every layer's values and
// gradients. It runs the same layers and engine calls as Trainer.Step,
// without the ReLU/pool reordering, so every layer's full output is kept;
// the gradients are the same bits (TestBackpropIsTraining).
func (n *Net) Backprop(x []float32, labels []uint8) *Backprop {
	b := len(labels)
	if b < 1 || len(x) != b*Pixels {
		panic("mnist: Backprop: need one label per image of Pixels")
	}
	for _, l := range labels {
		if l >= Classes {
			panic(fmt.Sprintf("mnist: Backprop: label %d is not a digit", l))
		}
	}
	c := n.Clone()
	ws := c.newWorkspace(b, true)
	desc := c.Describe()
	bp := &Backprop{N: b, Labels: append([]uint8(nil), labels...), Layers: make([]LayerPass, len(c.layers))}
	h := x
	for i, l := range c.layers {
		in, out := l.inShape(), l.outShape()
		lp := &bp.Layers[i]
		*lp = LayerPass{Index: i, Kind: l.kind(), Describe: desc[i],
			InShape: [3]int{in.C, in.H, in.W}, OutShape: [3]int{out.C, out.H, out.W}, In: clone32(h)}
		ws.ins[i] = h
		h = l.forward(ws.st[i], h, b)
		lp.Out = clone32(h)
	}
	bp.Logits = clone32(h)
	bp.Loss, _ = softmaxCrossEntropy(ws.probs, ws.dlogits, h, labels, b, Classes)
	bp.Probs, bp.GradLogits = clone32(ws.probs), clone32(ws.dlogits)
	dy := ws.dlogits
	for i := len(c.layers) - 1; i >= 0; i-- {
		lp := &bp.Layers[i]
		lp.GradOut = clone32(dy) // ReLU's backward masks dy in place
		dy = c.layers[i].backward(ws.st[i], dy, ws.ins[i], b)
		lp.GradIn = clone32(dy)
		if cl, ok := c.layers[i].(*convLayer); ok {
			lp.Weight, lp.WeightShape, lp.GradWeight = cl.w.Data, cl.w.Shape, cl.w.Grad
			lp.Bias, lp.GradBias = cl.b.Data, cl.b.Grad
			lp.Geometry = cl.g
		}
	}
	return bp
}

func clone32(s []float32) []float32 {
	if s == nil {
		return nil
	}
	return append([]float32(nil), s...)
}
