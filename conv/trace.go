package conv

// CellKind says what a cell of the padded grid is.
type CellKind uint8

const (
	// Real is a cell of the input itself.
	Real CellKind = iota
	// ZeroPad is a padding cell that holds zero (padding_mode "zeros",
	// or the border of a transposed convolution's grid).
	ZeroPad
	// CopyPad is a padding cell that copies a real cell
	// (padding_mode "reflect", "replicate" or "circular").
	CopyPad
	// Inserted is a zero inserted between input cells by a transposed
	// convolution's stride (only inside the span of the input: a zero of
	// the frame around it, even on a row of inserted zeros, is ZeroPad).
	Inserted
)

var cellKindNames = [...]string{"real", "pad", "copy", "inserted"}

func (k CellKind) String() string { return cellKindNames[k] }

// MarshalText makes a CellKind read as a word in JSON.
func (k CellKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Cell describes one cell of the padded grid the kernel slides over.
// SrcY, SrcX is the input cell whose value it shows, or -1, -1 when it
// holds a zero (ZeroPad, Inserted).
type Cell struct {
	Kind CellKind `json:"kind"`
	SrcY int      `json:"src_y"`
	SrcX int      `json:"src_x"`
}

// CellAt describes cell (y, x) of the grid the kernel slides over, of size
// PaddedH × PaddedW.
//
// For Conv2d that grid is the padded input. For ConvTranspose2d it is the
// grid of the equivalent direct convolution (the conv-arithmetic picture):
// the input with Stride-1 zeros inserted between cells, surrounded by
// Dilation·(K-1)-Padding zeros (plus OutputPadding at the bottom/right),
// over which a flipped kernel slides with stride 1.
func (g *Geometry) CellAt(y, x int) Cell {
	sy, ky := g.srcAxis(y, 0)
	sx, kx := g.srcAxis(x, 1)
	c := Cell{SrcY: sy, SrcX: sx}
	switch {
	case ky == ZeroPad || kx == ZeroPad: // the frame wins: a zero beside the input's span is padding
		c.Kind = ZeroPad
	case ky == Inserted || kx == Inserted:
		c.Kind = Inserted
	case ky == CopyPad || kx == CopyPad:
		c.Kind = CopyPad
	default:
		c.Kind = Real
	}
	if c.Kind == Inserted || c.Kind == ZeroPad {
		c.SrcY, c.SrcX = -1, -1
	}
	return c
}

// srcAxis maps one grid coordinate along axis a (0 rows, 1 columns).
func (g *Geometry) srcAxis(v, a int) (int, CellKind) {
	size, before := g.InH, g.PadTop
	if a == 1 {
		size, before = g.InW, g.PadLeft
	}
	if g.Transposed {
		off := g.Dilation[a]*(g.KernelSize[a]-1) - before
		p := v - off
		s := g.Stride[a]
		span := (size-1)*s + 1
		if p < 0 || p >= span {
			return -1, ZeroPad
		}
		if p%s != 0 {
			return -1, Inserted
		}
		return p / s, Real
	}
	src, pad := SourceIndex(g.PaddingMode, v, before, size)
	switch {
	case !pad:
		return src, Real
	case src < 0:
		return -1, ZeroPad
	}
	return src, CopyPad
}

// Grid describes every cell of the PaddedH × PaddedW grid (see CellAt).
func (g *Geometry) Grid() [][]Cell {
	rows := make([][]Cell, g.PaddedH())
	for y := range rows {
		rows[y] = make([]Cell, g.PaddedW())
		for x := range rows[y] {
			rows[y][x] = g.CellAt(y, x)
		}
	}
	return rows
}

// Tap is one multiplication of a step: the kernel weight at (KY, KX) of
// input channel C times the grid cell (Y, X) under it.
type Tap struct {
	C       int     `json:"c"`  // input channel
	WY      int     `json:"wy"` // row inside the sliding window, 0..KH-1
	WX      int     `json:"wx"` // column inside the sliding window, 0..KW-1
	KY      int     `json:"ky"` // weight row as stored (transposed: unflipped)
	KX      int     `json:"kx"` // weight column as stored
	Y       int     `json:"y"`  // grid row (see Geometry.CellAt)
	X       int     `json:"x"`  // grid column
	Cell            // what the grid cell is and which input cell it reads
	Input   float32 `json:"input"`
	Weight  float32 `json:"weight"`
	Product float32 `json:"product"`
}

// Step is the computation of one output cell: the window's top-left corner
// in the grid, every tap, the sum per input channel, the bias and the total.
// Sum equals the output Forward writes to (OutChannel, OutY, OutX).
type Step struct {
	Index       int       `json:"index"` // OutChannel·OutH·OutW + OutY·OutW + OutX
	OutChannel  int       `json:"out_channel"`
	OutY        int       `json:"out_y"`
	OutX        int       `json:"out_x"`
	WindowY     int       `json:"window_y"` // top-left grid cell of the window
	WindowX     int       `json:"window_x"`
	Taps        []Tap     `json:"taps"`
	Channels    []int     `json:"channels"`     // the input channels this output reads (its group)
	ChannelSums []float32 `json:"channel_sums"` // sum of the taps of each of Channels
	Bias        float32   `json:"bias"`         // 0 without bias
	Sum         float32   `json:"sum"`
}

// StepCount is the number of steps of one image: one per output cell.
func (g *Geometry) StepCount() int { return g.OutChannels * g.OutH * g.OutW }

// TraceStep explains output cell (oc, oy, ox) of one image: x is a single
// image InC×InH×InW, w and b as for ForwardNaive (b may be nil).
func TraceStep(g *Geometry, x, w, b []float32, oc, oy, ox int) Step {
	checkLens(g, 1, x, w, b, nil)
	if oc < 0 || oc >= g.OutChannels || oy < 0 || oy >= g.OutH || ox < 0 || ox >= g.OutW {
		panic("conv: trace step out of range")
	}
	cinG, coutG := g.InChannels/g.Groups, g.OutChannels/g.Groups
	kh, kw := g.KernelSize[0], g.KernelSize[1]
	grp := oc / coutG
	st := Step{
		Index:      (oc*g.OutH+oy)*g.OutW + ox,
		OutChannel: oc, OutY: oy, OutX: ox,
		Taps:        make([]Tap, 0, cinG*kh*kw),
		Channels:    make([]int, cinG),
		ChannelSums: make([]float32, cinG),
	}
	if g.Transposed {
		st.WindowY, st.WindowX = oy, ox
	} else {
		st.WindowY, st.WindowX = oy*g.Stride[0], ox*g.Stride[1]
	}
	var total float64
	if b != nil {
		st.Bias = b[oc]
		total = float64(b[oc])
	}
	for ci := range cinG {
		c := grp*cinG + ci
		st.Channels[ci] = c
		var cs float64
		for wy := range kh {
			for wx := range kw {
				t := Tap{C: c, WY: wy, WX: wx}
				t.Y = st.WindowY + wy*g.Dilation[0]
				t.X = st.WindowX + wx*g.Dilation[1]
				t.Cell = g.CellAt(t.Y, t.X)
				if g.Transposed {
					t.KY, t.KX = kh-1-wy, kw-1-wx
					t.Weight = w[((c*coutG+(oc-grp*coutG))*kh+t.KY)*kw+t.KX]
				} else {
					t.KY, t.KX = wy, wx
					t.Weight = w[((oc*cinG+ci)*kh+t.KY)*kw+t.KX]
				}
				if t.SrcY >= 0 && t.SrcX >= 0 {
					t.Input = x[(c*g.InH+t.SrcY)*g.InW+t.SrcX]
				}
				p := float64(t.Input) * float64(t.Weight)
				if g.Transposed && t.SrcY < 0 {
					// PyTorch never multiplies the zeros of a transposed
					// convolution's grid (it scatters each input cell), so
					// they add exactly 0 even under an infinite weight. Zero
					// padding of Conv2d is multiplied: 0·Inf is NaN there.
					p = 0
				}
				t.Product = float32(p)
				cs += p
				st.Taps = append(st.Taps, t)
			}
		}
		st.ChannelSums[ci] = float32(cs)
		total += cs
	}
	st.Sum = float32(total)
	return st
}

// Trace explains every output cell of one image, in the order of Step.Index.
// It allocates StepCount steps of InC/Groups·KH·KW taps each: callers that
// serve users must bound that first.
func Trace(g *Geometry, x, w, b []float32) []Step {
	steps := make([]Step, 0, g.StepCount())
	for oc := range g.OutChannels {
		for oy := range g.OutH {
			for ox := range g.OutW {
				steps = append(steps, TraceStep(g, x, w, b, oc, oy, ox))
			}
		}
	}
	return steps
}
