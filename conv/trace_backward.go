package conv

// The backward pass, explained step by step (issue 14). A loss L reaches
// the layer as dY = ∂L/∂y (shaped like the output); the layer passes on
//
//	dW = ∂L/∂w: the convolution of the input with dY (TraceWeightGrad),
//	dX = ∂L/∂x: the transposed convolution of dY with the same weights,
//	     i.e. the full convolution of dY with the flipped kernel
//	     (TraceInputGrad; a transposed layer's dX is a direct convolution),
//	db = ∂L/∂b: the sum of dY over images and positions (TraceBiasGrad).
//
// Every product and sum is kept, accumulated in float64 like Trace, so the
// sums are the gradients BackwardNaive computes (and PyTorch's autograd:
// trace_backward_test.go holds them to the golden fixtures).

// GradTap is one product of a weight's gradient: the grid cell (Y, X) that
// was under the weight when the window sat at output (OutY, OutX) of image
// N, times the gradient dY arriving at that output.
type GradTap struct {
	N       int     `json:"n"`     // image of the batch
	OutY    int     `json:"out_y"` // the output cell whose gradient is used
	OutX    int     `json:"out_x"`
	Y       int     `json:"y"` // grid cell (see Geometry.CellAt) under the weight
	X       int     `json:"x"`
	Cell            // what that grid cell is and which input cell it shows
	Input   float32 `json:"input"`
	Grad    float32 `json:"grad"` // dY at (N, OutChannel, OutY, OutX)
	Product float32 `json:"product"`
}

// WeightGradStep is the gradient of one weight: the sum over images and
// output positions of (grid cell under the weight) × dY. Seen as a
// convolution, dY (OutH × OutW, its cells Stride apart, or 1 apart for a
// transposed layer's grid) is the kernel and slides over the grid of input
// channel Channel; the weight's window starts at (WindowY, WindowX).
type WeightGradStep struct {
	Index      int       `json:"index"`       // position in the weight slice (WeightShape order)
	OutChannel int       `json:"out_channel"` // the output channel whose dY it collects
	Channel    int       `json:"channel"`     // the input channel it reads
	KY         int       `json:"ky"`          // weight row and column as stored
	KX         int       `json:"kx"`
	WY         int       `json:"wy"` // row and column inside the sliding window (transposed: flipped)
	WX         int       `json:"wx"`
	WindowY    int       `json:"window_y"` // grid cell under the weight for output (0, 0)
	WindowX    int       `json:"window_x"`
	Taps       []GradTap `json:"taps"`
	Sum        float32   `json:"sum"`
}

// weightCoords says which output channel, input channel and window
// position weight index wi belongs to.
func (g *Geometry) weightCoords(wi int) (oc, c, ky, kx, wy, wx int) {
	cinG, coutG := g.InChannels/g.Groups, g.OutChannels/g.Groups
	kh, kw := g.KernelSize[0], g.KernelSize[1]
	kx, ky = wi%kw, wi/kw%kh
	a, b := wi/(kh*kw)/g.WeightShape()[1], wi/(kh*kw)%g.WeightShape()[1]
	if g.Transposed { // weight InC × OutC/groups × kh × kw, flipped in the grid
		c = a
		oc = c/cinG*coutG + b
		return oc, c, ky, kx, kh - 1 - ky, kw - 1 - kx
	}
	oc = a
	c = oc/coutG*cinG + b
	return oc, c, ky, kx, ky, kx
}

// WeightGradStepCount is the number of steps of TraceWeightGrad: one per weight.
func (g *Geometry) WeightGradStepCount() int { return g.WeightLen() }

// TraceWeightGradStep explains the gradient of weight wi (an index into
// the weight slice) for a batch of n: x is n×InC×InH×InW, dy is
// n×OutC×OutH×OutW. The taps run over images, then output rows, then
// columns.
func TraceWeightGradStep(g *Geometry, x, dy []float32, n, wi int) WeightGradStep {
	checkLens(g, n, x, nil, nil, dy)
	if wi < 0 || wi >= g.WeightLen() {
		panic("conv: weight gradient step out of range")
	}
	oc, c, ky, kx, wy, wx := g.weightCoords(wi)
	st := WeightGradStep{Index: wi, OutChannel: oc, Channel: c, KY: ky, KX: kx, WY: wy, WX: wx,
		WindowY: wy * g.Dilation[0], WindowX: wx * g.Dilation[1],
		Taps: make([]GradTap, 0, n*g.OutH*g.OutW)}
	sy, sx := g.Stride[0], g.Stride[1]
	if g.Transposed { // the equivalent direct convolution slides with stride 1
		sy, sx = 1, 1
	}
	var total float64
	for ni := range n {
		for oy := range g.OutH {
			for ox := range g.OutW {
				t := GradTap{N: ni, OutY: oy, OutX: ox, Y: st.WindowY + oy*sy, X: st.WindowX + ox*sx}
				t.Cell = g.CellAt(t.Y, t.X)
				if t.SrcY >= 0 && t.SrcX >= 0 {
					t.Input = x[((ni*g.InChannels+c)*g.InH+t.SrcY)*g.InW+t.SrcX]
				}
				t.Grad = dy[((ni*g.OutChannels+oc)*g.OutH+oy)*g.OutW+ox]
				p := float64(t.Input) * float64(t.Grad)
				if g.Transposed && t.SrcY < 0 {
					p = 0 // the zeros of a transposed grid are never multiplied (see TraceStep)
				}
				t.Product = float32(p)
				total += p
				st.Taps = append(st.Taps, t)
			}
		}
	}
	st.Sum = float32(total)
	return st
}

// TraceWeightGrad explains every weight's gradient, in the order of the
// weight slice. It allocates WeightLen steps of n·OutH·OutW taps: callers
// that serve users must bound that first.
func TraceWeightGrad(g *Geometry, x, dy []float32, n int) []WeightGradStep {
	steps := make([]WeightGradStep, g.WeightLen())
	for wi := range steps {
		steps[wi] = TraceWeightGradStep(g, x, dy, n, wi)
	}
	return steps
}

// BiasGradStep is the gradient of one bias: the sum of dY over the images
// and positions of its output channel (in NCHW order).
type BiasGradStep struct {
	OutChannel int       `json:"out_channel"`
	Terms      []float32 `json:"terms"` // dY of image 0 row by row, then image 1, ...
	Sum        float32   `json:"sum"`
}

// TraceBiasGrad explains the bias gradient of every output channel for a
// batch of n (dy is n×OutC×OutH×OutW). A layer without bias has none, but
// the sums are returned anyway: they are what a bias would receive.
func TraceBiasGrad(g *Geometry, dy []float32, n int) []BiasGradStep {
	checkLens(g, n, nil, nil, nil, dy)
	plane := g.OutH * g.OutW
	steps := make([]BiasGradStep, g.OutChannels)
	for oc := range steps {
		st := BiasGradStep{OutChannel: oc, Terms: make([]float32, 0, n*plane)}
		var total float64
		for ni := range n {
			off := (ni*g.OutChannels + oc) * plane
			for _, v := range dy[off : off+plane] {
				st.Terms = append(st.Terms, v)
				total += float64(v)
			}
		}
		st.Sum = float32(total)
		steps[oc] = st
	}
	return steps
}

// InputGradGeometry is the convolution whose forward pass is g's input
// gradient, applied to dY with g's own weight slice (the layouts agree):
//
//   - For Conv2d, the ConvTranspose2d from OutChannels to InChannels with
//     g's kernel, stride, dilation and groups, no padding, and the
//     output_padding that makes its output exactly g's padded grid
//     (PaddedH × PaddedW). Its own grid is dY with Stride-1 zeros inserted
//     between cells, framed by Dilation·(K-1) zeros, under the flipped
//     kernel: the "full convolution" of dY. A padding cell's gradient then
//     goes to the input cell it copies (reflect, replicate, circular) or
//     nowhere (zeros), as the backward of PyTorch's F.pad does.
//   - For ConvTranspose2d, the Conv2d from OutChannels to InChannels with
//     g's kernel, stride, dilation, padding and groups. Its output has
//     InH × InW cells, plus a row (column) more when output_padding is not
//     smaller than the stride: those extra cells are not input cells.
func (g *Geometry) InputGradGeometry() *Geometry {
	s := Spec{InChannels: g.OutChannels, OutChannels: g.InChannels, KernelSize: g.KernelSize,
		Stride: g.Stride, Dilation: g.Dilation, Groups: g.Groups}
	var d *Geometry
	var err error
	if g.Transposed {
		s.Padding = g.Padding
		d, err = s.Resolve(g.OutH, g.OutW)
	} else {
		s.Transposed = true
		for a, padded := range [2]int{g.PaddedH(), g.PaddedW()} {
			out := [2]int{g.OutH, g.OutW}[a]
			s.OutputPadding[a] = padded - ((out-1)*g.Stride[a] + g.Dilation[a]*(g.KernelSize[a]-1) + 1)
		}
		d, err = s.Resolve(g.OutH, g.OutW)
	}
	if err != nil {
		panic("conv: the input gradient's convolution does not resolve: " + err.Error())
	}
	return d
}

// InputGradStep is the gradient of one input cell (Channel, Y, X) of one
// image. Parts are the steps of InputGradGeometry that produce it: for
// Conv2d, one per cell of the padded grid that shows this input cell (the
// cell itself, then padding cells that copy it, in grid order: each
// part's OutY, OutX is that grid cell); for ConvTranspose2d the one output
// cell of the direct convolution. A cell cropped away by negative padding
// has no parts. Sum is the sum of the parts' sums.
type InputGradStep struct {
	Index   int     `json:"index"` // (Channel·InH + Y)·InW + X
	Channel int     `json:"channel"`
	Y       int     `json:"y"`
	X       int     `json:"x"`
	Parts   []Step  `json:"parts"`
	Sum     float32 `json:"sum"`
}

// InputGradStepCount is the number of steps of one image: one per input cell.
func (g *Geometry) InputGradStepCount() int { return g.InChannels * g.InH * g.InW }

// TraceInputGradStep explains the gradient of input cell (c, iy, ix) of
// one image: dy is that image's OutC×OutH×OutW gradient, w the layer's
// weights.
func TraceInputGradStep(g *Geometry, dy, w []float32, c, iy, ix int) InputGradStep {
	return traceInputGradStep(g, g.InputGradGeometry(), dy, w, c, iy, ix)
}

func traceInputGradStep(g, d *Geometry, dy, w []float32, c, iy, ix int) InputGradStep {
	checkLens(g, 1, nil, w, nil, dy)
	if c < 0 || c >= g.InChannels || iy < 0 || iy >= g.InH || ix < 0 || ix >= g.InW {
		panic("conv: input gradient step out of range")
	}
	st := InputGradStep{Index: (c*g.InH+iy)*g.InW + ix, Channel: c, Y: iy, X: ix}
	if g.Transposed {
		st.Parts = []Step{TraceStep(d, dy, w, nil, c, iy, ix)}
	} else {
		for _, gy := range gridCopies(g.PaddingMode, iy, g.PadTop, g.InH, g.PaddedH()) {
			for _, gx := range gridCopies(g.PaddingMode, ix, g.PadLeft, g.InW, g.PaddedW()) {
				st.Parts = append(st.Parts, TraceStep(d, dy, w, nil, c, gy, gx))
			}
		}
	}
	var total float64
	for _, p := range st.Parts {
		total += float64(p.Sum)
	}
	st.Sum = float32(total)
	return st
}

// gridCopies lists, in order, the coordinates of a padded axis of length
// padded whose cell shows input coordinate src (see SourceIndex).
func gridCopies(m PaddingMode, src, before, size, padded int) []int {
	var out []int
	for v := range padded {
		if s, _ := SourceIndex(m, v, before, size); s == src {
			out = append(out, v)
		}
	}
	return out
}

// TraceInputGrad explains every input cell's gradient of one image, in
// the order of InputGradStep.Index. Callers that serve users must bound
// its size first (about PaddedH·PaddedW·InC/… steps of OutC/Groups·KH·KW
// taps).
func TraceInputGrad(g *Geometry, dy, w []float32) []InputGradStep {
	d := g.InputGradGeometry()
	steps := make([]InputGradStep, 0, g.InputGradStepCount())
	for c := range g.InChannels {
		for iy := range g.InH {
			for ix := range g.InW {
				steps = append(steps, traceInputGradStep(g, d, dy, w, c, iy, ix))
			}
		}
	}
	return steps
}
