package conv

// PoolTap is one cell of a pooling window: window position (WY, WX), the
// input cell (Y, X) under it (negative or past the end inside the
// padding), whether it is a real input cell, and its value (0 in padding).
type PoolTap struct {
	WY     int     `json:"wy"`
	WX     int     `json:"wx"`
	Y      int     `json:"y"`
	X      int     `json:"x"`
	Inside bool    `json:"inside"`
	Value  float32 `json:"value"`
}

// PoolStep explains output cell (Channel, OutY, OutX) of a pooling: every
// cell of its window (Kernel[0]·Kernel[1] taps, row by row, dilation
// applied), then for max pooling the winner (Arg: index into Taps, −1 when
// no input cell is under the window; ArgY, ArgX its input cell = PyTorch's
// return_indices as ArgY·InW+ArgX), for average pooling the Sum of the
// input cells and the Divisor. Value equals what MaxForward / AvgForward
// write there.
type PoolStep struct {
	Channel int       `json:"channel"`
	OutY    int       `json:"out_y"`
	OutX    int       `json:"out_x"`
	WindowY int       `json:"window_y"` // the window's first cell, input coordinates
	WindowX int       `json:"window_x"`
	Taps    []PoolTap `json:"taps"`
	Arg     int       `json:"arg"`
	ArgY    int       `json:"arg_y"`
	ArgX    int       `json:"arg_x"`
	Sum     float32   `json:"sum"`
	Divisor int       `json:"divisor"`
	Value   float32   `json:"value"`
}

// traceWindow lists the taps of window (c, oy, ox) of one image x (C×InH×InW).
func (p *Pool) traceWindow(x []float32, c, oy, ox int) PoolStep {
	if len(x) != p.XLen(1) {
		panic("conv: pooling trace needs one image")
	}
	if c < 0 || c >= p.C || oy < 0 || oy >= p.OutH || ox < 0 || ox >= p.OutW {
		panic("conv: pooling trace step out of range")
	}
	ys, _, _, _ := p.axis(oy, 0)
	xs0, _, _, _ := p.axis(ox, 1)
	st := PoolStep{Channel: c, OutY: oy, OutX: ox, WindowY: ys, WindowX: xs0, Arg: -1, ArgY: -1, ArgX: -1,
		Taps: make([]PoolTap, 0, p.Kernel[0]*p.Kernel[1])}
	plane := x[c*p.InH*p.InW : (c+1)*p.InH*p.InW]
	for wy := range p.Kernel[0] {
		for wx := range p.Kernel[1] {
			t := PoolTap{WY: wy, WX: wx, Y: ys + wy*p.Dilation[0], X: xs0 + wx*p.Dilation[1]}
			t.Inside = t.Y >= 0 && t.Y < p.InH && t.X >= 0 && t.X < p.InW
			if t.Inside {
				t.Value = plane[t.Y*p.InW+t.X]
			}
			st.Taps = append(st.Taps, t)
		}
	}
	return st
}

// TraceMax explains cell (c, oy, ox) of max pooling one image x
// (C×InH×InW). The winner is found by the same code as MaxForward.
func (p *Pool) TraceMax(x []float32, c, oy, ox int) PoolStep {
	st := p.traceWindow(x, c, oy, ox)
	v, bi := p.maxAt(x[c*p.InH*p.InW:(c+1)*p.InH*p.InW], oy, ox)
	st.Value = v
	if bi >= 0 {
		st.ArgY, st.ArgX = int(bi)/p.InW, int(bi)%p.InW
		for i, t := range st.Taps {
			if t.Inside && t.Y == st.ArgY && t.X == st.ArgX {
				st.Arg = i
			}
		}
	}
	return st
}

// TraceAvg explains cell (c, oy, ox) of average pooling one image x.
func (p *Pool) TraceAvg(x []float32, c, oy, ox int) PoolStep {
	p.checkAvg()
	st := p.traceWindow(x, c, oy, ox)
	var s float64
	for _, t := range st.Taps {
		if t.Inside {
			s += float64(t.Value)
		}
	}
	st.Sum = float32(s)
	st.Divisor = p.avgDivisor(oy, ox)
	st.Value = float32(s / float64(st.Divisor))
	return st
}
