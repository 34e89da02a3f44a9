package conv

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// randomGeometry draws a Conv2d or ConvTranspose2d configuration that
// Resolve accepts, covering every parameter.
func randomGeometry(r *rand.Rand) *Geometry {
	for {
		cin := 1 + r.IntN(4)
		groups := 1
		switch r.IntN(4) {
		case 0:
			groups = cin // depthwise
		case 1:
			for _, d := range []int{2, 3} {
				if cin%d == 0 {
					groups = d
				}
			}
		}
		s := Spec{
			InChannels:  cin,
			OutChannels: groups * (1 + r.IntN(2)),
			KernelSize:  [2]int{1 + r.IntN(4), 1 + r.IntN(4)},
			Stride:      [2]int{1 + r.IntN(3), 1 + r.IntN(3)},
			Dilation:    [2]int{1 + r.IntN(2), 1 + r.IntN(3)},
			Padding:     [2]int{r.IntN(3), r.IntN(3)},
			Groups:      groups,
			Bias:        r.IntN(2) == 0,
			PaddingMode: []PaddingMode{Zeros, Reflect, Replicate, Circular}[r.IntN(4)],
		}
		switch r.IntN(6) {
		case 0:
			s.PaddingStr, s.Stride = "same", [2]int{1, 1}
		case 1:
			s.PaddingStr = "valid"
		case 2:
			if s.PaddingMode != Zeros {
				s.Padding = [2]int{-r.IntN(2), -r.IntN(2)} // crops
			}
		case 3, 4:
			s.Transposed, s.PaddingMode = true, Zeros
			for i := range 2 {
				s.OutputPadding[i] = r.IntN(max(s.Stride[i], s.Dilation[i]))
			}
		}
		g, err := s.Resolve(1+r.IntN(7), 1+r.IntN(7))
		if err == nil {
			return g
		}
	}
}

func randomSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func describeGeometry(g *Geometry) string {
	return fmt.Sprintf("%+v in %dx%d out %dx%d pads t%d b%d l%d r%d", g.Spec, g.InH, g.InW, g.OutH, g.OutW,
		g.PadTop, g.PadBottom, g.PadLeft, g.PadRight)
}

// TestTraceMatchesForward: for random configurations every step of the
// trace adds up to what ForwardNaive writes, and every tap reads exactly the
// cell CellAt describes, with the weight the layout says.
func TestTraceMatchesForward(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		g := randomGeometry(r)
		desc := describeGeometry(g)
		x, w := randomSlice(r, g.XLen(1)), randomSlice(r, g.WeightLen())
		var b []float32
		if g.Bias {
			b = randomSlice(r, g.OutChannels)
		}
		y := make([]float32, g.OutLen(1))
		ForwardNaive(g, y, x, w, b, 1)
		steps := Trace(g, x, w, b)
		if len(steps) != g.StepCount() || len(steps) != len(y) {
			t.Fatalf("%s: %d steps, StepCount %d, %d outputs", desc, len(steps), g.StepCount(), len(y))
		}
		cinG, coutG := g.InChannels/g.Groups, g.OutChannels/g.Groups
		kh, kw := g.KernelSize[0], g.KernelSize[1]
		ph, pw := g.PaddedH(), g.PaddedW()
		for i, st := range steps {
			if st.Index != i || (st.OutChannel*g.OutH+st.OutY)*g.OutW+st.OutX != i {
				t.Fatalf("%s: step %d has index %d at (%d,%d,%d)", desc, i, st.Index, st.OutChannel, st.OutY, st.OutX)
			}
			if d := math.Abs(float64(st.Sum - y[i])); d > 1e-5*(1+math.Abs(float64(y[i]))) {
				t.Fatalf("%s: step %d sums to %v, forward gives %v", desc, i, st.Sum, y[i])
			}
			if len(st.Taps) != cinG*kh*kw || len(st.Channels) != cinG || len(st.ChannelSums) != cinG {
				t.Fatalf("%s: step %d has %d taps, %d channels", desc, i, len(st.Taps), len(st.Channels))
			}
			grp := st.OutChannel / coutG
			wantWin := [2]int{st.OutY * g.Stride[0], st.OutX * g.Stride[1]}
			if g.Transposed { // the equivalent direct convolution slides with stride 1
				wantWin = [2]int{st.OutY, st.OutX}
			}
			if [2]int{st.WindowY, st.WindowX} != wantWin {
				t.Fatalf("%s: step %d window at (%d,%d), want %v", desc, i, st.WindowY, st.WindowX, wantWin)
			}
			total := float64(st.Bias)
			var wantBias float32
			if b != nil {
				wantBias = b[st.OutChannel]
			}
			if st.Bias != wantBias {
				t.Fatalf("%s: step %d bias %v, want %v", desc, i, st.Bias, wantBias)
			}
			for ci, c := range st.Channels {
				if c != grp*cinG+ci {
					t.Fatalf("%s: step %d channel %d is %d, want %d", desc, i, ci, c, grp*cinG+ci)
				}
				var cs float64
				for j, tp := range st.Taps[ci*kh*kw : (ci+1)*kh*kw] {
					wy, wx := j/kw, j%kw
					if tp.C != c || tp.WY != wy || tp.WX != wx {
						t.Fatalf("%s: step %d tap %d is c%d (%d,%d), want c%d (%d,%d)", desc, i, j, tp.C, tp.WY, tp.WX, c, wy, wx)
					}
					if tp.Y != st.WindowY+wy*g.Dilation[0] || tp.X != st.WindowX+wx*g.Dilation[1] || tp.Y >= ph || tp.X >= pw {
						t.Fatalf("%s: step %d tap (%d,%d) at grid (%d,%d)", desc, i, wy, wx, tp.Y, tp.X)
					}
					if tp.Cell != g.CellAt(tp.Y, tp.X) {
						t.Fatalf("%s: step %d tap at (%d,%d) says %+v, CellAt says %+v", desc, i, tp.Y, tp.X, tp.Cell, g.CellAt(tp.Y, tp.X))
					}
					var wantIn float32
					if tp.SrcY >= 0 {
						wantIn = x[(c*g.InH+tp.SrcY)*g.InW+tp.SrcX]
					}
					if tp.Input != wantIn {
						t.Fatalf("%s: step %d tap reads %v, the cell holds %v", desc, i, tp.Input, wantIn)
					}
					ky, kx := wy, wx
					wi := ((st.OutChannel*cinG+ci)*kh+ky)*kw + kx
					if g.Transposed { // flipped kernel, weight Cin × Cout/groups × kh × kw
						ky, kx = kh-1-wy, kw-1-wx
						wi = ((c*coutG+st.OutChannel-grp*coutG)*kh+ky)*kw + kx
					}
					if tp.KY != ky || tp.KX != kx || tp.Weight != w[wi] {
						t.Fatalf("%s: step %d tap (%d,%d) uses weight (%d,%d)=%v, want (%d,%d)=%v", desc, i, wy, wx, tp.KY, tp.KX, tp.Weight, ky, kx, w[wi])
					}
					if tp.Product != float32(float64(tp.Input)*float64(tp.Weight)) {
						t.Fatalf("%s: step %d product %v ≠ %v·%v", desc, i, tp.Product, tp.Input, tp.Weight)
					}
					cs += float64(tp.Input) * float64(tp.Weight)
				}
				if float32(cs) != st.ChannelSums[ci] {
					t.Fatalf("%s: step %d channel %d sums to %v, taps add to %v", desc, i, c, st.ChannelSums[ci], cs)
				}
				total += cs
			}
			if float32(total) != st.Sum {
				t.Fatalf("%s: step %d sum %v, bias and taps add to %v", desc, i, st.Sum, total)
			}
		}
	}
}

// TestGoldenTraceGrid checks the grid and the trace against PyTorch: the
// grid Grid() describes (padding copies, inserted zeros), swept by the
// kernel as a plain valid convolution, must give PyTorch's output, and so
// must every traced step.
func TestGoldenTraceGrid(t *testing.T) {
	gf := loadGolden(t)
	traced := 0
	defer func() {
		if traced < 300 {
			t.Errorf("only %d configurations traced", traced)
		}
	}()
	for ci := range gf.Conv {
		c := &gf.Conv[ci]
		g, err := c.Spec.Spec().Resolve(c.InH, c.InW)
		if err != nil {
			t.Fatalf("%s: %v", c.describe(), err)
		}
		x0 := c.X[:g.XLen(1)] // first image
		var b []float32
		if g.Bias {
			b = c.B
		}
		grid := g.Grid()
		ph, pw := g.PaddedH(), g.PaddedW()
		if len(grid) != ph || len(grid[0]) != pw {
			t.Fatalf("%s: grid %dx%d, PaddedH/W %dx%d", c.describe(), len(grid), len(grid[0]), ph, pw)
		}
		val := func(ch, y, x int) float64 {
			cell := grid[y][x]
			if cell.SrcY < 0 {
				return 0
			}
			return float64(x0[(ch*g.InH+cell.SrcY)*g.InW+cell.SrcX])
		}
		cinG, coutG := g.InChannels/g.Groups, g.OutChannels/g.Groups
		kh, kw := g.KernelSize[0], g.KernelSize[1]
		swept := make([]float32, g.OutLen(1))
		for oc := range g.OutChannels {
			grp := oc / coutG
			for oy := range g.OutH {
				for ox := range g.OutW {
					var s float64
					if b != nil {
						s = float64(b[oc])
					}
					for i := range cinG {
						ch := grp*cinG + i
						for wy := range kh {
							for wx := range kw {
								if g.Transposed {
									s += val(ch, oy+wy*g.Dilation[0], ox+wx*g.Dilation[1]) *
										float64(c.W[((ch*coutG+oc-grp*coutG)*kh+kh-1-wy)*kw+kw-1-wx])
								} else {
									s += val(ch, oy*g.Stride[0]+wy*g.Dilation[0], ox*g.Stride[1]+wx*g.Dilation[1]) *
										float64(c.W[((oc*cinG+i)*kh+wy)*kw+wx])
								}
							}
						}
					}
					swept[(oc*g.OutH+oy)*g.OutW+ox] = float32(s)
				}
			}
		}
		shape := [4]int{1, g.OutChannels, g.OutH, g.OutW}
		closeTo(t, c.describe()+"\n  kernel swept over Grid()", swept, c.Y[:g.OutLen(1)], shape)
		if g.StepCount()*cinG*kh*kw > 50_000 {
			continue // the "large" fixtures: a full trace would allocate millions of taps
		}
		traced++
		sums := make([]float32, g.OutLen(1))
		for i, st := range Trace(g, x0, c.W, b) {
			sums[i] = st.Sum
		}
		closeTo(t, c.describe()+"\n  traced step sums", sums, c.Y[:g.OutLen(1)], shape)
	}
}

// TestGridKinds checks the grid's structure from the conv-arithmetic
// picture, not from the formulas of trace.go.
func TestGridKinds(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 400 {
		g := randomGeometry(r)
		desc := describeGeometry(g)
		ph, pw := g.PaddedH(), g.PaddedW()
		if g.Transposed {
			checkTransposedGrid(t, g, desc)
			continue
		}
		if ph != g.InH+g.PadTop+g.PadBottom || pw != g.InW+g.PadLeft+g.PadRight {
			t.Fatalf("%s: padded %dx%d", desc, ph, pw)
		}
		for y := range ph {
			for x := range pw {
				cell := g.CellAt(y, x)
				iy, ix := y-g.PadTop, x-g.PadLeft
				inside := iy >= 0 && iy < g.InH && ix >= 0 && ix < g.InW
				switch {
				case inside:
					if cell != (Cell{Real, iy, ix}) {
						t.Fatalf("%s: input cell (%d,%d) at grid (%d,%d) described as %+v", desc, iy, ix, y, x, cell)
					}
				case g.PaddingMode == Zeros:
					if cell != (Cell{ZeroPad, -1, -1}) {
						t.Fatalf("%s: zero padding at (%d,%d) described as %+v", desc, y, x, cell)
					}
				default:
					if cell.Kind != CopyPad || cell.SrcY < 0 || cell.SrcY >= g.InH || cell.SrcX < 0 || cell.SrcX >= g.InW {
						t.Fatalf("%s: %s padding at (%d,%d) described as %+v", desc, g.PaddingMode, y, x, cell)
					}
					// A copy shows a cell of the same row or column when only one axis is outside.
					if iy >= 0 && iy < g.InH && cell.SrcY != iy || ix >= 0 && ix < g.InW && cell.SrcX != ix {
						t.Fatalf("%s: padding at (%d,%d) copies (%d,%d) from another row/column", desc, y, x, cell.SrcY, cell.SrcX)
					}
				}
			}
		}
	}
}

// checkTransposedGrid: the equivalent direct convolution's input is the
// input with Stride-1 zeros inserted between neighbours, framed by
// Dilation·(K-1)-Padding zeros (OutputPadding more at the bottom/right).
func checkTransposedGrid(t *testing.T, g *Geometry, desc string) {
	t.Helper()
	var top, left [2]int // frame before the first input row/column, per axis
	for a := range 2 {
		top[a] = g.Dilation[a]*(g.KernelSize[a]-1) - g.Padding[a]
	}
	left = top
	in := [2]int{g.InH, g.InW}
	padded := [2]int{g.PaddedH(), g.PaddedW()}
	for a := range 2 {
		span := (in[a]-1)*g.Stride[a] + 1
		if want := top[a] + span + top[a] + g.OutputPadding[a]; padded[a] != want {
			t.Fatalf("%s: axis %d: grid size %d, want frame %d + span %d + frame %d + output_padding %d",
				desc, a, padded[a], top[a], span, top[a], g.OutputPadding[a])
		}
	}
	seen := 0
	for y := range padded[0] {
		for x := range padded[1] {
			cell := g.CellAt(y, x)
			ry, rx := y-top[0], x-left[1]
			inSpan := ry >= 0 && ry <= (g.InH-1)*g.Stride[0] && rx >= 0 && rx <= (g.InW-1)*g.Stride[1]
			switch {
			case !inSpan:
				if cell != (Cell{ZeroPad, -1, -1}) {
					t.Fatalf("%s: frame cell (%d,%d) described as %+v", desc, y, x, cell)
				}
			case ry%g.Stride[0] == 0 && rx%g.Stride[1] == 0:
				if cell != (Cell{Real, ry / g.Stride[0], rx / g.Stride[1]}) {
					t.Fatalf("%s: input cell (%d,%d) at grid (%d,%d) described as %+v", desc, ry/g.Stride[0], rx/g.Stride[1], y, x, cell)
				}
				seen++
			default:
				if cell != (Cell{Inserted, -1, -1}) {
					t.Fatalf("%s: inserted zero at (%d,%d) described as %+v", desc, y, x, cell)
				}
			}
		}
	}
	if top[0] >= 0 && top[1] >= 0 && seen != g.InH*g.InW {
		t.Fatalf("%s: %d input cells in the grid, want %d", desc, seen, g.InH*g.InW)
	}
}

// TestTraceJSONNames pins the JSON field names other packages and the
// browser code read (CONTRACTS.md).
func TestTraceJSONNames(t *testing.T) {
	g, err := Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{2, 2}, Padding: [2]int{1, 0}, PaddingMode: Reflect}.Resolve(2, 2)
	if err != nil {
		t.Fatal(err)
	}
	st := TraceStep(g, []float32{1, 2, 3, 4}, []float32{1, 1, 1, 1}, nil, 0, 0, 0)
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"index":0`, `"out_channel":0`, `"out_y":0`, `"out_x":0`, `"window_y":0`, `"window_x":0`,
		`"taps":[{"c":0,"wy":0,"wx":0,"ky":0,"kx":0,"y":0,"x":0,"kind":"copy","src_y":1,"src_x":0,"input":3,"weight":1,"product":3}`,
		`"channels":[0]`, `"channel_sums":[10]`, `"bias":0`, `"sum":10`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("step JSON lacks %s:\n%s", key, b)
		}
	}
}
