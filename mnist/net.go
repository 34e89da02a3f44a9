package mnist

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
)

// ImageSize is the side of an MNIST image; Pixels = ImageSize².
const (
	ImageSize = 28
	Pixels    = ImageSize * ImageSize
	Classes   = 10
)

// Presets are the network names NewNet knows, in the order a page lists them.
var Presets = []string{"small", "reference"}

// Param is one learnable tensor, named as PyTorch's nn.Sequential names it
// ("0.weight", "7.bias", ...). Data is row-major in PyTorch's shape.
type Param struct {
	Name  string
	Shape []int
	Data  []float32
	Grad  []float32 // d loss / d Data of the last backward pass (nil until training)
}

func newParam(name string, shape []int) *Param {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return &Param{Name: name, Shape: append([]int(nil), shape...), Data: make([]float32, n)}
}

// grad returns the gradient buffer, allocating it on first use.
func (p *Param) grad() []float32 {
	if p.Grad == nil {
		p.Grad = make([]float32, len(p.Data))
	}
	return p.Grad
}

func (p *Param) clone() *Param {
	return &Param{Name: p.Name, Shape: append([]int(nil), p.Shape...), Data: append([]float32(nil), p.Data...)}
}

// Net is a small CNN for 28×28 images: one of the Presets, an
// nn.Sequential of Conv2d, ReLU, MaxPool2d, Flatten and Linear layers.
//
// Predict, FeatureMaps and Filters may be called from several goroutines
// at once as long as nobody trains the same Net meanwhile (a Trainer's
// live Net must be Cloned under a lock for readers).
type Net struct {
	preset string
	layers []layer
	ps     []*Param
	pool   sync.Pool // *workspace for one image, for Predict
}

// NewNet builds preset ("small" or "reference") with PyTorch's default
// initialisation (kaiming_uniform_(a=√5): weights and biases uniform in
// ±1/√fan_in), drawn from a PCG generator seeded with seed: the same seed
// gives the same network.
func NewNet(preset string, seed uint64) (*Net, error) {
	n, err := build(preset)
	if err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(seed, 0x636f6e766c6162)) // "convlab"
	for _, l := range n.layers {
		c, ok := l.(*convLayer)
		if !ok {
			continue
		}
		bound := 1 / math.Sqrt(float64(c.fanIn()))
		for _, p := range []*Param{c.w, c.b} {
			for i := range p.Data {
				p.Data[i] = float32((2*r.Float64() - 1) * bound)
			}
		}
	}
	return n, nil
}

// build makes the layers of a preset with zero parameters.
func build(preset string) (*Net, error) {
	type spec struct {
		kind        string
		out, k, pad int
	}
	var specs []spec
	switch preset {
	case "reference":
		specs = []spec{{"conv", 32, 3, 1}, {"relu", 0, 0, 0}, {"maxpool", 0, 2, 0},
			{"conv", 64, 3, 1}, {"relu", 0, 0, 0}, {"maxpool", 0, 2, 0}, {"flatten", 0, 0, 0}, {"linear", 10, 0, 0}}
	case "small":
		specs = []spec{{"conv", 8, 5, 2}, {"relu", 0, 0, 0}, {"maxpool", 0, 2, 0},
			{"conv", 16, 5, 2}, {"relu", 0, 0, 0}, {"maxpool", 0, 2, 0}, {"flatten", 0, 0, 0}, {"linear", 10, 0, 0}}
	default:
		return nil, fmt.Errorf("unknown network %q: choose %s", preset, strings.Join(Presets, " or "))
	}
	n := &Net{preset: preset}
	in := shape{1, ImageSize, ImageSize}
	for i, s := range specs {
		name := fmt.Sprint(i)
		var l layer
		var err error
		switch s.kind {
		case "conv":
			l, err = newConv2d(name, in, s.out, s.k, s.pad)
		case "relu":
			l = &reluLayer{s: in}
		case "maxpool":
			l, err = newMaxPool(in, s.k)
		case "flatten":
			l = &flattenLayer{in: in}
		case "linear":
			l, err = newLinear(name, in, s.out)
		}
		if err != nil {
			panic("mnist: preset " + preset + " does not resolve: " + err.Error())
		}
		n.layers = append(n.layers, l)
		n.ps = append(n.ps, l.params()...)
		in = l.outShape()
	}
	return n, nil
}

// Preset is the network's preset name.
func (n *Net) Preset() string { return n.preset }

// Params returns the learnable tensors in PyTorch's state_dict order. They
// are the Net's own: changing Data changes the network.
func (n *Net) Params() []*Param { return n.ps }

// ParamCount is the number of learnable numbers.
func (n *Net) ParamCount() int {
	s := 0
	for _, p := range n.ps {
		s += len(p.Data)
	}
	return s
}

// Clone returns an independent copy of the network's parameters (no
// gradients or optimizer state).
func (n *Net) Clone() *Net {
	c := &Net{preset: n.preset}
	for _, l := range n.layers {
		cl := l.clone("")
		c.layers = append(c.layers, cl)
		c.ps = append(c.ps, cl.params()...)
	}
	return c
}

// CopyFrom overwrites n's parameters with src's (same preset), allocating
// nothing: a cheap snapshot into a Net kept for readers.
func (n *Net) CopyFrom(src *Net) {
	if src.preset != n.preset {
		panic("mnist: CopyFrom between different presets")
	}
	for i, p := range src.ps {
		copy(n.ps[i].Data, p.Data)
	}
}

// Describe lists the layers as PyTorch prints an nn.Sequential, one per line.
func (n *Net) Describe() []string {
	var out []string
	for i, l := range n.layers {
		var s string
		switch l := l.(type) {
		case *convLayer:
			if l.linear {
				s = fmt.Sprintf("Linear(in_features=%d, out_features=%d)", l.in.C, l.out.C)
			} else {
				s = fmt.Sprintf("Conv2d(%d, %d, kernel_size=(%d, %d), padding=(%d, %d))", l.g.InChannels, l.g.OutChannels,
					l.g.KernelSize[0], l.g.KernelSize[1], l.g.Padding[0], l.g.Padding[1])
			}
		case *reluLayer:
			s = "ReLU()"
		case *poolLayer:
			s = fmt.Sprintf("MaxPool2d(kernel_size=%d)", l.p.Kernel[0])
		case *flattenLayer:
			s = "Flatten()"
		}
		out = append(out, fmt.Sprintf("(%d): %s", i, s))
	}
	return out
}

// workspace is every buffer one forward (and backward) pass over a batch
// of up to n images needs.
type workspace struct {
	n int
	// poolFirst runs each ReLU followed by a MaxPool2d as pool-then-ReLU.
	// max and ReLU commute exactly (ReLU is monotonic; NaN wins both), and
	// the gradients agree too (a window whose maximum is not positive
	// passes no gradient either way), so the results are bit for bit the
	// same, while the ReLU touches 4× fewer values. Off where the
	// full-size ReLU output is wanted (FeatureMaps).
	poolFirst bool
	st        []*layerState
	ins       [][]float32 // input of each layer in the last forward pass
	probs     []float32   // n × Classes
	dlogits   []float32   // n × Classes (training only)
	x         []float32   // n × Pixels, evaluation input converted from a Set's bytes (allocated on first use)
}

// evalInput is ws's buffer for n images converted to float32.
func (ws *workspace) evalInput() []float32 {
	if ws.x == nil {
		ws.x = make([]float32, ws.n*Pixels)
	}
	return ws.x
}

func (n *Net) newWorkspace(batch int, train bool) *workspace {
	ws := &workspace{n: batch, ins: make([][]float32, len(n.layers)), probs: make([]float32, batch*Classes)}
	for i, l := range n.layers {
		ws.st = append(ws.st, l.newState(batch, train, i > 0))
	}
	if train {
		ws.dlogits = make([]float32, batch*Classes)
	}
	return ws
}

// forward runs the network on x (b ≤ ws.n images of Pixels) and returns
// the logits (b × Classes), which live in ws.
func (n *Net) forward(ws *workspace, x []float32, b int) []float32 {
	if b > ws.n || len(x) != b*Pixels {
		panic("mnist: forward: batch does not fit the workspace")
	}
	for i := 0; i < len(n.layers); i++ {
		if ws.poolFirst && n.convReluPool(i) {
			// The pooling runs inside the convolution, image by image.
			c, p := n.layers[i].(*convLayer), n.layers[i+2].(*poolLayer)
			ws.ins[i] = x
			var y []float32
			y, x = c.forwardPooled(ws.st[i], p, ws.st[i+2], x, b)
			ws.ins[i+2], ws.ins[i+1] = y, x
			x = n.layers[i+1].forward(ws.st[i+1], x, b) // in place on the pooled values
			i += 2
			continue
		}
		if ws.poolFirst && n.reluThenPool(i) {
			ws.ins[i+1] = x
			x = n.layers[i+1].forward(ws.st[i+1], x, b)
			ws.ins[i] = x
			x = n.layers[i].forward(ws.st[i], x, b) // in place on the pooled values
			i++
			continue
		}
		ws.ins[i] = x
		x = n.layers[i].forward(ws.st[i], x, b)
	}
	return x
}

// convReluPool reports whether layer i is a convolution followed by a ReLU
// and a MaxPool2d: pool-first, the pooling then runs inside the
// convolution call, image by image (convLayer.forwardPooled).
func (n *Net) convReluPool(i int) bool {
	return i+2 < len(n.layers) && n.layers[i].kind() == "conv" && n.reluThenPool(i+1)
}

// reluThenPool reports whether layer i is a ReLU followed by a MaxPool2d.
func (n *Net) reluThenPool(i int) bool {
	return i+1 < len(n.layers) && n.layers[i].kind() == "relu" && n.layers[i+1].kind() == "maxpool"
}

// backward propagates dlogits (b × Classes) back through the network
// after forward, leaving every parameter's gradient in its Grad.
func (n *Net) backward(ws *workspace, dlogits []float32, b int) {
	dy := dlogits
	for i := len(n.layers) - 1; i >= 0; i-- {
		if ws.poolFirst && i > 1 && n.convReluPool(i-2) {
			dy = n.layers[i-1].backward(ws.st[i-1], dy, ws.ins[i-1], b) // masked by the pooled ReLU output
			c, p := n.layers[i-2].(*convLayer), n.layers[i].(*poolLayer)
			dy = c.backwardPooled(ws.st[i-2], p, ws.st[i], dy, ws.ins[i-2], b)
			i -= 2
			continue
		}
		if ws.poolFirst && i > 0 && n.reluThenPool(i-1) {
			dy = n.layers[i-1].backward(ws.st[i-1], dy, ws.ins[i-1], b) // masked by the pooled ReLU output
			dy = n.layers[i].backward(ws.st[i], dy, ws.ins[i], b)
			i--
			continue
		}
		dy = n.layers[i].backward(ws.st[i], dy, ws.ins[i], b)
	}
}

func (n *Net) predictWS() *workspace {
	if ws, ok := n.pool.Get().(*workspace); ok {
		return ws
	}
	return n.newWorkspace(1, false)
}

func checkImage(img []float32) {
	if len(img) != Pixels {
		panic("mnist: an image must have 784 pixels")
	}
}

// Predict returns the probability of each digit for one 28×28 image
// (row-major, values in [0, 1], white digit on black like MNIST).
func (n *Net) Predict(img []float32) [Classes]float32 {
	checkImage(img)
	ws := n.predictWS()
	defer n.pool.Put(ws)
	ws.poolFirst = true
	logits := n.forward(ws, img, 1)
	var p [Classes]float32
	softmax(p[:], logits, 1, Classes)
	return p
}

// FeatureMap is a stack of C images of H×W (row-major, channel after
// channel): the activations of a layer for one input, or filters.
type FeatureMap struct {
	Layer string    `json:"layer"`
	C     int       `json:"c"`
	H     int       `json:"h"`
	W     int       `json:"w"`
	Data  []float32 `json:"data"`
}

// FeatureMaps runs img through the network and returns, for each conv
// layer, its output after the ReLU: "conv1" (for the reference net 32 maps
// of 28×28), "conv2" (64 of 14×14). The slices are fresh copies.
func (n *Net) FeatureMaps(img []float32) []FeatureMap {
	_, fm := n.PredictMaps(img)
	return fm
}

// PredictMaps is Predict and FeatureMaps from one forward pass.
func (n *Net) PredictMaps(img []float32) ([Classes]float32, []FeatureMap) {
	checkImage(img)
	ws := n.predictWS()
	defer n.pool.Put(ws)
	ws.poolFirst = false // the maps are the full-size ReLU outputs
	logits := n.forward(ws, img, 1)
	var p [Classes]float32
	softmax(p[:], logits, 1, Classes)
	var out []FeatureMap
	k := 0
	for i, l := range n.layers {
		if l.kind() != "conv" {
			continue
		}
		k++
		y := ws.ins[i+1] // ReLU works in place: its input is its output
		if i+1 >= len(n.layers) || n.layers[i+1].kind() != "relu" {
			y = ws.st[i].y
		}
		s := l.outShape()
		out = append(out, FeatureMap{Layer: fmt.Sprintf("conv%d", k), C: s.C, H: s.H, W: s.W, Data: append([]float32(nil), y...)})
	}
	return p, out
}

// Filters returns the first conv layer's weights as C filters of kh×kw
// (its input has one channel).
func (n *Net) Filters() FeatureMap {
	c := n.layers[0].(*convLayer)
	s := c.w.Shape
	return FeatureMap{Layer: "conv1", C: s[0] * s[1], H: s[2], W: s[3], Data: append([]float32(nil), c.w.Data...)}
}

// Tensors returns the parameters as safetensors tensors (sharing Data).
func (n *Net) Tensors() []Tensor {
	ts := make([]Tensor, len(n.ps))
	for i, p := range n.ps {
		ts[i] = Tensor{Name: p.Name, Shape: p.Shape, Data: p.Data}
	}
	return ts
}

// metadata is what Save writes in the safetensors header: the preset
// (which LoadNet needs) and how to rebuild the network in PyTorch.
func (n *Net) metadata() map[string]string {
	return map[string]string{
		"format":  "pt",
		"preset":  n.preset,
		"convlab": "torch.nn.Sequential: " + strings.Join(n.Describe(), "; "),
	}
}

// Encode returns the network as a safetensors file.
func (n *Net) Encode() ([]byte, error) { return EncodeSafetensors(n.Tensors(), n.metadata()) }

// Save writes the network to path as a safetensors file, atomically. In
// PyTorch: model.load_state_dict(safetensors.torch.load_file(path)) on the
// same nn.Sequential (see Describe).
func (n *Net) Save(path string) error {
	return WriteSafetensors(path, n.Tensors(), n.metadata())
}

// LoadNet reads a network saved by Save, or a PyTorch state_dict of the
// same nn.Sequential saved with safetensors (the preset then comes from the
// "preset" metadata entry or, without it, from the shape of "0.weight"). It checks that every tensor the preset needs is
// there with the right shape and finite values, and that nothing else is.
func LoadNet(b []byte) (*Net, error) {
	ts, meta, err := DecodeSafetensors(b)
	if err != nil {
		return nil, err
	}
	preset := meta["preset"]
	if preset == "" {
		// A state_dict saved by PyTorch without our metadata: recognise
		// the preset by its first layer's weight.
		for _, t := range ts {
			if t.Name == "0.weight" {
				for _, p := range Presets {
					n, _ := build(p)
					if equalShape(n.ps[0].Shape, t.Shape) {
						preset = p
					}
				}
			}
		}
		if preset == "" {
			return nil, errors.New("the model file has no \"preset\" in its metadata and its \"0.weight\" matches no preset, so it is not clear which network it holds")
		}
	}
	n, err := build(preset)
	if err != nil {
		return nil, fmt.Errorf("the model file's preset: %w", err)
	}
	byName := make(map[string]Tensor, len(ts))
	for _, t := range ts {
		byName[t.Name] = t
	}
	for _, p := range n.ps {
		t, ok := byName[p.Name]
		if !ok {
			return nil, fmt.Errorf("the model file lacks tensor %q (shape %v) of the %s network", p.Name, p.Shape, preset)
		}
		if !equalShape(t.Shape, p.Shape) || len(t.Data) != len(p.Data) {
			return nil, fmt.Errorf("tensor %q has shape %v, the %s network needs %v", p.Name, t.Shape, preset, p.Shape)
		}
		for _, v := range t.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("tensor %q holds a NaN or infinite value", p.Name)
			}
		}
		copy(p.Data, t.Data)
		delete(byName, p.Name)
	}
	if len(byName) > 0 {
		var extra []string
		for k := range byName {
			extra = append(extra, k)
		}
		sort.Strings(extra)
		return nil, fmt.Errorf("the model file has tensors the %s network does not: %s", preset, strings.Join(extra, ", "))
	}
	return n, nil
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
