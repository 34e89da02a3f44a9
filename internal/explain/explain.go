// Package explain runs the MNIST network once on one input and explains
// any single number of it: a conv cell (every input-channel window times
// its kernel, the partial sums, the bias, then the ReLU), a max-pool cell
// (the window and its maximum), a logit (the largest weight × activation
// contributions, and all of them as a heat map over the pooled maps) and
// the softmax.
//
// Every number comes from the engine: the layers' outputs from
// mnist.Net.Activations, the cells from conv.TraceStep and
// conv.Pool.TraceMax, the softmax from mnist.SoftmaxSteps. This package
// only selects and arranges them.
//
// A backward view (gradients of a loss, issue 14) joins as another field
// of Cell filled by its own function; the forward ones stay as they are.
package explain

import (
	"fmt"
	"sort"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/mnist"
)

// Layer is one column of the network picture: a module's output for the
// input (or the input itself, or the softmax).
type Layer struct {
	Name   string // "input", "conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "linear", "softmax"
	Kind   string // "input", "conv", "relu", "maxpool", "flatten", "linear", "softmax"
	Module string // PyTorch's text for the module ("Conv2d(1, 32, kernel_size=(3, 3), padding=(1, 1))"), "" for input
	Seq    int    // index in the nn.Sequential (the parameter names' prefix), −1 for input and softmax
	C      int
	H      int
	W      int
	Data   []float32 // C×H×W, row-major
	info   *mnist.LayerInfo
	prev   int // index of the layer whose output is this one's input, −1 for input
}

// Shape is PyTorch's shape of the layer's output for a batch of one:
// [1, C, H, W], or [1, N] after flatten.
func (l *Layer) Shape() []int {
	switch l.Kind {
	case "flatten", "linear", "softmax":
		return []int{1, l.C * l.H * l.W}
	}
	return []int{1, l.C, l.H, l.W}
}

// At is the value at (c, y, x).
func (l *Layer) At(c, y, x int) float32 { return l.Data[(c*l.H+y)*l.W+x] }

// Network is the network's forward pass on one input.
type Network struct {
	Preset string
	Layers []Layer
	Input  []float32 // 28×28 in [0, 1]
	net    *mnist.Net
	soft   mnist.SoftmaxTrace
}

// Run runs net on img (784 values in [0, 1]). net must not be trained
// meanwhile: pass a snapshot (mnist.Net.Clone, internal/live's LiveNet).
func Run(net *mnist.Net, img []float32) *Network {
	acts := net.Activations(img)
	infos := net.Layers()
	n := &Network{Preset: net.Preset(), net: net, Input: append([]float32(nil), img...)}
	n.Layers = append(n.Layers, Layer{Name: "input", Kind: "input", Seq: -1, C: 1, H: mnist.ImageSize, W: mnist.ImageSize,
		Data: n.Input, prev: -1})
	count := map[string]int{}
	for i := range infos {
		li := &infos[i]
		count[li.Kind]++
		name := li.Kind
		switch li.Kind {
		case "conv", "relu":
			name = fmt.Sprintf("%s%d", li.Kind, count[li.Kind])
		case "maxpool":
			name = fmt.Sprintf("pool%d", count[li.Kind])
		}
		n.Layers = append(n.Layers, Layer{Name: name, Kind: li.Kind, Module: li.Module, Seq: li.Index,
			C: li.Out[0], H: li.Out[1], W: li.Out[2], Data: acts[i], info: li, prev: len(n.Layers) - 1})
	}
	logits := acts[len(acts)-1]
	n.soft = mnist.SoftmaxSteps(logits)
	n.Layers = append(n.Layers, Layer{Name: "softmax", Kind: "softmax", Module: "Softmax(dim=1)", Seq: -1,
		C: len(logits), H: 1, W: 1, Data: n.soft.Probs, prev: len(n.Layers) - 1})
	return n
}

// Layer returns the layer called name.
func (n *Network) Layer(name string) (*Layer, bool) {
	for i := range n.Layers {
		if n.Layers[i].Name == name {
			return &n.Layers[i], true
		}
	}
	return nil, false
}

// Probabilities are the softmax's output.
func (n *Network) Probabilities() []float32 { return n.soft.Probs }

// Prediction is the most probable digit.
func (n *Network) Prediction() int {
	best := 0
	for i, p := range n.soft.Probs {
		if p > n.soft.Probs[best] {
			best = i
		}
	}
	return best
}

// RangeError says which index of a cell is out of its layer's range.
type RangeError struct {
	Layer string
	Param string // "c", "y", "x"
	Got   int
	Max   int // the largest allowed value
}

func (e *RangeError) Error() string {
	return fmt.Sprintf("%s: %s must be between 0 and %d, got %d", e.Layer, e.Param, e.Max, e.Got)
}

// Cell is the explanation of one number: the layer, its position, its
// value and exactly one of the kind-specific parts.
type Cell struct {
	Layer   *Layer
	C, Y, X int
	Value   float32
	Input   *InputCell
	Conv    *ConvCell
	ReLU    *ReLUCell
	Pool    *PoolCell
	Flatten *FlattenCell
	Logit   *LogitCell
	Softmax *SoftmaxCell
}

// InputCell is a pixel of the input.
type InputCell struct{}

// ConvCell is one output of a convolution: the engine's step (every tap of
// every input channel, the channel sums, the bias and the total), the
// layer it read, and what the ReLU after it makes of it.
type ConvCell struct {
	From     *Layer    // the input of the convolution
	Step     conv.Step // conv.TraceStep on the layer's real input and weights
	Geometry *conv.Geometry
	ReLU     *Layer // the ReLU after the convolution (nil if none)
	After    float32
}

// ReLUCell is max(0, x) of one cell.
type ReLUCell struct {
	From *Layer
	In   float32
	Kept bool
}

// PoolCell is one output of max pooling: the engine's pooling trace.
type PoolCell struct {
	From *Layer
	Pool *conv.Pool
	Step conv.PoolStep
}

// FlattenCell says where a flattened value comes from.
type FlattenCell struct {
	From    *Layer
	C, Y, X int
}

// Contribution is one weight × activation term of a logit.
type Contribution struct {
	Feature int // index into the flattened input
	C, Y, X int // the same as a cell of the pooled maps
	Weight  float32
	Input   float32
	Product float32
}

// LogitCell is one logit: the linear layer's step for that class (every
// product), the largest contributions by size, and every product laid back
// onto the maps before flatten as a heat map.
type LogitCell struct {
	From  *Layer // the maps before flatten (pool2)
	Class int
	Top   []Contribution
	Heat  []float32 // From.C×From.H×From.W: weight × activation of each cell
	Bias  float32
	Sum   float32 // the logit: bias + every product
	Rest  float32 // the sum of the products not in Top
	Count int     // number of products
}

// SoftmaxCell is the softmax of the logits, step by step.
type SoftmaxCell struct {
	Class  int
	Logits []float32
	Max    float32
	Exps   []float64
	Sum    float64
	Probs  []float32
}

// TopContributions is how many contributions a logit lists.
const TopContributions = 12

// Explain explains cell (c, y, x) of the layer called name. Flattened
// layers (flatten, linear, softmax) are addressed by c alone (y = x = 0).
func (n *Network) Explain(name string, c, y, x int) (*Cell, error) {
	l, ok := n.Layer(name)
	if !ok {
		return nil, &RangeError{Layer: name, Param: "layer"}
	}
	flat := l.Kind == "flatten" || l.Kind == "linear" || l.Kind == "softmax"
	h, w, ch := l.H, l.W, l.C
	if flat {
		ch, h, w = l.C*l.H*l.W, 1, 1
	}
	for _, r := range []struct {
		p   string
		v   int
		max int
	}{{"c", c, ch - 1}, {"y", y, h - 1}, {"x", x, w - 1}} {
		if r.v < 0 || r.v > r.max {
			return nil, &RangeError{Layer: name, Param: r.p, Got: r.v, Max: r.max}
		}
	}
	cell := &Cell{Layer: l, C: c, Y: y, X: x}
	if flat {
		cell.Value = l.Data[c]
	} else {
		cell.Value = l.At(c, y, x)
	}
	var from *Layer
	if l.prev >= 0 {
		from = &n.Layers[l.prev]
	}
	switch l.Kind {
	case "input":
		cell.Input = &InputCell{}
	case "conv":
		g := l.info.Geometry
		st := conv.TraceStep(g, from.Data, l.info.Weight.Data, l.info.Bias.Data, c, y, x)
		cc := &ConvCell{From: from, Step: st, Geometry: g}
		if nx := n.next(l); nx != nil && nx.Kind == "relu" {
			cc.ReLU, cc.After = nx, nx.At(c, y, x)
		}
		cell.Conv = cc
	case "relu":
		in := from.At(c, y, x)
		cell.ReLU = &ReLUCell{From: from, In: in, Kept: cell.Value == in && in > 0}
	case "maxpool":
		p := l.info.Pool
		cell.Pool = &PoolCell{From: from, Pool: p, Step: p.TraceMax(from.Data, c, y, x)}
	case "flatten":
		hw := from.H * from.W
		cell.Flatten = &FlattenCell{From: from, C: c / hw, Y: c % hw / from.W, X: c % from.W}
	case "linear":
		cell.Logit = n.logit(l, from, c)
	case "softmax":
		logits := from.Data
		cell.Softmax = &SoftmaxCell{Class: c, Logits: logits, Max: n.soft.Max, Exps: n.soft.Exps, Sum: n.soft.Sum,
			Probs: n.soft.Probs}
	}
	return cell, nil
}

// next is the layer after l.
func (n *Network) next(l *Layer) *Layer {
	for i := range n.Layers {
		if &n.Layers[i] == l && i+1 < len(n.Layers) {
			return &n.Layers[i+1]
		}
	}
	return nil
}

// logit explains output class of the linear layer l, whose input is the
// flatten layer flat (itself the pooled maps renamed).
func (n *Network) logit(l, flat *Layer, class int) *LogitCell {
	maps := &n.Layers[flat.prev]
	st := conv.TraceStep(l.info.Geometry, flat.Data, l.info.Weight.Data, l.info.Bias.Data, class, 0, 0)
	lc := &LogitCell{From: maps, Class: class, Bias: st.Bias, Sum: st.Sum, Count: len(st.Taps),
		Heat: make([]float32, len(st.Taps))}
	order := make([]int, len(st.Taps))
	hw := maps.H * maps.W
	for i, t := range st.Taps {
		lc.Heat[t.C] = t.Product
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		pa, pb := st.Taps[order[a]].Product, st.Taps[order[b]].Product
		return abs32(pa) > abs32(pb)
	})
	var rest float64
	for k, i := range order {
		t := st.Taps[i]
		if k < TopContributions {
			lc.Top = append(lc.Top, Contribution{Feature: t.C, C: t.C / hw, Y: t.C % hw / maps.W, X: t.C % maps.W,
				Weight: t.Weight, Input: t.Input, Product: t.Product})
		} else {
			rest += float64(t.Product)
		}
	}
	lc.Rest = float32(rest)
	return lc
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
