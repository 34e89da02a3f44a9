// Package backward puts together what the visualizer's backward mode
// shows (issue 14): an upstream gradient dY, the step-by-step traces of
// dW, dX and db from package conv, and the update of every weight by SGD
// (w ← w − lr·dW) and by a first Adam step, whose numbers come from
// mnist's optimizers (their Preview runs the same arithmetic as Step). It
// computes nothing itself.
package backward

import (
	"fmt"
	"math/rand/v2"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/mnist"
)

// Upstream gradient sources.
const (
	GradOnes   = "ones"   // dY = 1 everywhere: dW is then the sum of the input under each weight
	GradRandom = "random" // small integers in [-2, 2] from a seed
	GradGiven  = "given"  // supplied by the caller (e.g. from a real loss)
)

// Request is one backward pass of one image through one layer.
type Request struct {
	G    *conv.Geometry
	X, W []float32 // one image InC×InH×InW; the weights
	B    []float32 // the bias (OutC), or nil
	// GradSource is GradOnes, GradRandom (with Seed) or GradGiven (DY).
	GradSource string
	Seed       uint64
	DY         []float32 // OutC×OutH×OutW, for GradGiven
	LR         float64   // learning rate of the update (> 0)
	// NoInputTrace leaves out dX's trace (InputGrad, DX): a page showing
	// dW or db only needs dW and db for the update.
	NoInputTrace bool
}

// Pass is a Request's answer.
type Pass struct {
	DY []float32 `json:"grad_output"` // the upstream gradient used
	// The gradients, as the traces' sums give them (DX and InputGrad nil
	// with NoInputTrace; DB nil without a bias).
	DX []float32 `json:"grad_input"`
	DW []float32 `json:"grad_weight"`
	DB []float32 `json:"grad_bias"`
	// DXGeometry is the convolution whose trace explains dX (see
	// conv.Geometry.InputGradGeometry): its padded grid is dY with the
	// stride's zeros inserted.
	DXGeometry *conv.Geometry        `json:"-"`
	WeightGrad []conv.WeightGradStep `json:"weight_grad_steps"`
	InputGrad  []conv.InputGradStep  `json:"input_grad_steps"`
	BiasGrad   []conv.BiasGradStep   `json:"bias_grad_steps"`
	// SGD (no momentum) and a first Adam step on every weight, then every
	// bias: the optimizers' own numbers.
	SGD  []mnist.SGDDetail  `json:"sgd"`
	Adam []mnist.AdamDetail `json:"adam"`
}

// MaxTaps bounds the work of one Pass (taps of all three traces).
const MaxTaps = 2_000_000

// Taps is how many products the traces of g hold (for bounding).
func Taps(g *conv.Geometry) int {
	kk := g.KernelSize[0] * g.KernelSize[1]
	dx := g.InputGradGeometry()
	return g.WeightLen()*g.OutH*g.OutW + dx.OutChannels*dx.OutH*dx.OutW*(dx.InChannels/dx.Groups)*kk + g.OutLen(1)
}

// Gradient makes the upstream gradient of a request (OutC×OutH×OutW).
func Gradient(g *conv.Geometry, source string, seed uint64, given []float32) ([]float32, error) {
	n := g.OutLen(1)
	dy := make([]float32, n)
	switch source {
	case GradOnes, "":
		for i := range dy {
			dy[i] = 1
		}
	case GradRandom:
		r := rand.New(rand.NewPCG(seed, 0x6772616479)) // "grady"
		for i := range dy {
			dy[i] = float32(r.IntN(5) - 2)
		}
	case GradGiven:
		if len(given) != n {
			return nil, fmt.Errorf("the upstream gradient must have the output's shape %d×%d×%d (%d numbers), got %d",
				g.OutChannels, g.OutH, g.OutW, n, len(given))
		}
		copy(dy, given)
	default:
		return nil, fmt.Errorf("unknown upstream gradient %q: choose ones, random or given", source)
	}
	return dy, nil
}

// Run traces the backward pass and the updates. Its errors are the
// caller's input (a gradient of the wrong shape, a bad source, too much
// work, a learning rate out of range).
func Run(r Request) (*Pass, error) {
	g := r.G
	if len(r.X) != g.XLen(1) || len(r.W) != g.WeightLen() {
		panic("backward: input or weights of the wrong length")
	}
	if !(r.LR >= mnist.MinLR && r.LR <= mnist.MaxLR) {
		return nil, fmt.Errorf("the learning rate must be between %g and %g, got %g", mnist.MinLR, mnist.MaxLR, r.LR)
	}
	if t := Taps(g); t > MaxTaps {
		return nil, fmt.Errorf("this backward pass has %d products to show, more than %d: choose a smaller input or kernel", t, MaxTaps)
	}
	dy, err := Gradient(g, r.GradSource, r.Seed, r.DY)
	if err != nil {
		return nil, err
	}
	p := &Pass{DY: dy, DXGeometry: g.InputGradGeometry(),
		WeightGrad: conv.TraceWeightGrad(g, r.X, dy, 1),
		BiasGrad:   conv.TraceBiasGrad(g, dy, 1)}
	if !r.NoInputTrace {
		p.InputGrad = conv.TraceInputGrad(g, dy, r.W)
	}
	p.DW = make([]float32, len(p.WeightGrad))
	for i, s := range p.WeightGrad {
		p.DW[i] = s.Sum
	}
	if p.InputGrad != nil {
		p.DX = make([]float32, len(p.InputGrad))
		for i, s := range p.InputGrad {
			p.DX[i] = s.Sum
		}
	}
	if g.Bias {
		p.DB = make([]float32, len(p.BiasGrad))
		for i, s := range p.BiasGrad {
			p.DB[i] = s.Sum
		}
	}
	sgd, adam := &mnist.SGD{LR: r.LR}, mnist.NewAdam(r.LR)
	for j, gw := range p.DW {
		p.SGD = append(p.SGD, sgd.Preview(0, j, gw, r.W[j]))
		p.Adam = append(p.Adam, adam.Preview(0, j, gw, r.W[j]))
	}
	if g.Bias && len(r.B) == g.OutChannels {
		for j, gb := range p.DB {
			p.SGD = append(p.SGD, sgd.Preview(1, j, gb, r.B[j]))
			p.Adam = append(p.Adam, adam.Preview(1, j, gb, r.B[j]))
		}
	}
	return p, nil
}
