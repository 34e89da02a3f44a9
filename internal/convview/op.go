package convview

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/internal/convstate"
)

// An operation is what the visualizer needs from one kind of layer: the
// engine's answer (output, one traced step per output cell, the padded
// grid the window slides over), the output-size formula with the numbers,
// and the PyTorch line. Adding an operation (pooling, a backward pass)
// means: its name in convstate.Op (with its parameters and bounds), one
// entry in operations, and (when it shows something new) its own templ
// component in views/conv.templ. Build and the page's script stay as they
// are: they step through whatever trace the operation gives.
type operation interface {
	// compute runs the engine on a state Resolve accepted.
	compute(s *convstate.State, g *conv.Geometry) (*result, error)
	// formula is the output-size formula of axis 0 (height) or 1 (width).
	formula(g *conv.Geometry, axis int) string
	// pytorch is the torch.nn layer with these settings.
	pytorch(g *conv.Geometry) string
}

// operations maps each operation of convstate to its implementation.
var operations = map[convstate.Op]operation{
	convstate.OpConv:          convOp{},
	convstate.OpConvTranspose: transposedOp{},
}

// result is an operation's answer.
type result struct {
	g     *conv.Geometry
	out   []float32     // C×H×W, in step order
	steps []conv.Step   // one per output cell
	grid  [][]conv.Cell // the padded (or, transposed, dilated) input grid
}

// run checks the state (convstate's one validator, the engine's rules,
// the page's budget) and runs its operation.
func run(s *convstate.State) (operation, *result, error) {
	g, err := s.Resolve()
	if err != nil {
		return nil, nil, err
	}
	op, ok := operations[s.Op()]
	if !ok {
		return nil, nil, fmt.Errorf("convview: no operation %q", s.Op())
	}
	r, err := op.compute(s, g)
	return op, r, err
}

// convOp is nn.Conv2d.
type convOp struct{}

func (convOp) compute(s *convstate.State, g *conv.Geometry) (*result, error) {
	return traceConv(s, g)
}

// traceConv runs a (transposed) convolution through the naive oracle and
// traces every output cell.
func traceConv(s *convstate.State, g *conv.Geometry) (*result, error) {
	var b []float32
	if s.Bias {
		b = s.B
	}
	y := make([]float32, g.OutLen(1))
	conv.ForwardNaive(g, y, s.X, s.W, b, 1)
	for _, v := range y {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, convstate.ErrOverflow
		}
	}
	return &result{g: g, out: y, steps: conv.Trace(g, s.X, s.W, b), grid: g.Grid()}, nil
}

func (convOp) formula(g *conv.Geometry, a int) string {
	i, o := g.InH, g.OutH
	p1, p2 := g.PadTop, g.PadBottom
	if a == 1 {
		i, o = g.InW, g.OutW
		p1, p2 = g.PadLeft, g.PadRight
	}
	k, s, d := g.KernelSize[a], g.Stride[a], g.Dilation[a]
	pad := fmt.Sprintf("2·%d", p1)
	if p1 != p2 {
		pad = fmt.Sprintf("%d + %d", p1, p2)
	}
	n := i + p1 + p2 - d*(k-1) - 1
	rem := ""
	if n%s != 0 {
		rem = fmt.Sprintf(" (%d = %d·%d + %d)", n, s, n/s, n%s)
	}
	return fmt.Sprintf("o = ⌊(i + 2p − d(k − 1) − 1) / s⌋ + 1 = ⌊(%d + %s − %d·(%d − 1) − 1) / %d⌋ + 1 = ⌊%d / %d⌋ + 1 = %d%s",
		i, pad, d, k, s, n, s, o, rem)
}

func (convOp) pytorch(g *conv.Geometry) string { return torchLine("nn.Conv2d", g) }

// transposedOp is nn.ConvTranspose2d.
type transposedOp struct{}

func (transposedOp) compute(s *convstate.State, g *conv.Geometry) (*result, error) {
	return traceConv(s, g)
}

func (transposedOp) formula(g *conv.Geometry, a int) string {
	i, o := g.InH, g.OutH
	if a == 1 {
		i, o = g.InW, g.OutW
	}
	k, s, d := g.KernelSize[a], g.Stride[a], g.Dilation[a]
	p, op := g.Padding[a], g.OutputPadding[a]
	return fmt.Sprintf("o = (i − 1)·s − 2p + d(k − 1) + output_padding + 1 = (%d − 1)·%d − 2·%d + %d·(%d − 1) + %d + 1 = %d",
		i, s, p, d, k, op, o)
}

func (transposedOp) pytorch(g *conv.Geometry) string { return torchLine("nn.ConvTranspose2d", g) }

// torchLine is the layer with these settings (defaults left out,
// bias=False spelled out since PyTorch's default is bias=True).
func torchLine(name string, g *conv.Geometry) string {
	tup := func(v [2]int) string {
		if v[0] == v[1] {
			return strconv.Itoa(v[0])
		}
		return fmt.Sprintf("(%d, %d)", v[0], v[1])
	}
	args := []string{strconv.Itoa(g.InChannels), strconv.Itoa(g.OutChannels), "kernel_size=" + tup(g.KernelSize)}
	if g.Stride != [2]int{1, 1} {
		args = append(args, "stride="+tup(g.Stride))
	}
	switch {
	case g.PaddingStr != "":
		args = append(args, fmt.Sprintf("padding='%s'", g.PaddingStr))
	case g.Padding != [2]int{}:
		args = append(args, "padding="+tup(g.Padding))
	}
	if g.Transposed && g.OutputPadding != [2]int{} {
		args = append(args, "output_padding="+tup(g.OutputPadding))
	}
	if g.Dilation != [2]int{1, 1} {
		args = append(args, "dilation="+tup(g.Dilation))
	}
	if !g.Bias {
		args = append(args, "bias=False")
	}
	if g.PaddingMode != conv.Zeros {
		args = append(args, fmt.Sprintf("padding_mode='%s'", g.PaddingMode))
	}
	return name + "(" + strings.Join(args, ", ") + ")"
}

// uncovered marks the padded-grid rows and columns no window ever covers
// (a stride that does not divide evenly, or a stride larger than the
// kernel). Transposed convolutions slide with stride 1 and cover all.
func uncovered(g *conv.Geometry) (rows, cols map[int]bool) {
	rows, cols = map[int]bool{}, map[int]bool{}
	if g.Transposed {
		return
	}
	mark := func(n, out, s, ek int, m map[int]bool) {
		cov := make([]bool, n)
		for o := range out {
			for i := o * s; i < o*s+ek && i < n; i++ {
				cov[i] = true
			}
		}
		for i, c := range cov {
			if !c {
				m[i] = true
			}
		}
	}
	mark(g.PaddedH(), g.OutH, g.Stride[0], g.Dilation[0]*(g.KernelSize[0]-1)+1, rows)
	mark(g.PaddedW(), g.OutW, g.Stride[1], g.Dilation[1]*(g.KernelSize[1]-1)+1, cols)
	return
}

func uncoveredText(t func(string, ...any) string, g *conv.Geometry, rows, cols map[int]bool) []string {
	var out []string
	name := func(m map[int]bool, n, before, size int, key string) {
		var real []string
		pad := 0
		for i := range n {
			if !m[i] {
				continue
			}
			if p := i - before; p >= 0 && p < size {
				real = append(real, strconv.Itoa(p+1))
			} else {
				pad++
			}
		}
		if len(real) > 0 {
			out = append(out, t(key, strings.Join(real, ", ")))
		}
		if pad > 0 {
			out = append(out, t(key+"_pad", pad))
		}
	}
	name(rows, g.PaddedH(), g.PadTop, g.InH, "conv.uncovered_rows")
	name(cols, g.PaddedW(), g.PadLeft, g.InW, "conv.uncovered_cols")
	return out
}
