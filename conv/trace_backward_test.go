package conv

import (
	"math"
	"math/rand/v2"
	"testing"
)

// traceGrads runs the three backward traces over a batch of n and returns
// their sums laid out as the gradients: dx (n×InC×InH×InW), dw, db.
func traceGrads(g *Geometry, x, w, dy []float32, n int) (dx, dw, db []float32) {
	dw = make([]float32, g.WeightLen())
	for i, st := range TraceWeightGrad(g, x, dy, n) {
		if st.Index != i {
			panic("weight gradient steps out of order")
		}
		dw[i] = st.Sum
	}
	db = make([]float32, g.OutChannels)
	for i, st := range TraceBiasGrad(g, dy, n) {
		db[i] = st.Sum
	}
	dx = make([]float32, g.XLen(n))
	per := g.InChannels * g.InH * g.InW
	for ni := range n {
		for i, st := range TraceInputGrad(g, dy[ni*g.OutLen(1):(ni+1)*g.OutLen(1)], w) {
			if st.Index != i {
				panic("input gradient steps out of order")
			}
			dx[ni*per+i] = st.Sum
		}
	}
	return dx, dw, db
}

// TestGoldenBackwardTrace: every traced step's sum is PyTorch's autograd
// gradient (dX, dW, db) for every fixture that is small enough to trace.
func TestGoldenBackwardTrace(t *testing.T) {
	gf := loadGolden(t)
	traced := 0
	for ci := range gf.Conv {
		c := &gf.Conv[ci]
		g, err := c.Spec.Spec().Resolve(c.InH, c.InW)
		if err != nil {
			t.Fatalf("%s: %v", c.describe(), err)
		}
		coutG := g.OutChannels / g.Groups
		kk := g.KernelSize[0] * g.KernelSize[1]
		if c.N*(g.WeightLen()*g.OutH*g.OutW+g.InChannels*g.PaddedH()*g.PaddedW()*coutG*kk) > 400_000 {
			continue // the "large" fixtures
		}
		traced++
		dx, dw, db := traceGrads(g, c.X, c.W, c.GY, c.N)
		closeTo(t, c.describe()+"\n  traced dW sums", dw, c.GW, g.WeightShape())
		closeTo(t, c.describe()+"\n  traced dX sums", dx, c.GX, [4]int{c.N, g.InChannels, g.InH, g.InW})
		if g.Bias {
			closeTo(t, c.describe()+"\n  traced db sums", db, c.GB, [4]int{})
		}
	}
	if traced < 300 {
		t.Errorf("only %d configurations traced", traced)
	}
}

// TestBackwardTraceMatchesBackward: on random configurations the traced
// sums equal the engine's Backward (the fast path and the oracle), and
// every tap and part is what it says it is.
func TestBackwardTraceMatchesBackward(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 1))
	for range 200 {
		g := randomGeometry(r)
		desc := describeGeometry(g)
		n := 1 + r.IntN(2)
		x, w, dy := randomSlice(r, g.XLen(n)), randomSlice(r, g.WeightLen()), randomSlice(r, g.OutLen(n))
		dx, dw, db := traceGrads(g, x, w, dy, n)
		for _, impl := range []struct {
			name string
			run  func(dx, dw, db []float32)
		}{
			{"naive", func(dx, dw, db []float32) { BackwardNaive(g, dx, dw, db, dy, x, w, n) }},
			{"fast", func(dx, dw, db []float32) { New(g).Backward(dx, dw, db, dy, x, w, n) }},
		} {
			wx, ww, wb := make([]float32, len(dx)), make([]float32, len(dw)), make([]float32, len(db))
			impl.run(wx, ww, wb)
			closeTo(t, desc+" dX vs "+impl.name, dx, wx, [4]int{n, g.InChannels, g.InH, g.InW})
			closeTo(t, desc+" dW vs "+impl.name, dw, ww, g.WeightShape())
			closeTo(t, desc+" db vs "+impl.name, db, wb, [4]int{})
		}
		checkWeightTaps(t, g, desc, x, dy, n)
		checkInputParts(t, g, desc, dy[:g.OutLen(1)], w)
	}
}

// checkWeightTaps: a weight's taps read, for each image and output cell,
// the grid cell under that weight and dY at that output.
func checkWeightTaps(t *testing.T, g *Geometry, desc string, x, dy []float32, n int) {
	t.Helper()
	kh, kw := g.KernelSize[0], g.KernelSize[1]
	for wi, st := range TraceWeightGrad(g, x, dy, n) {
		if len(st.Taps) != n*g.OutH*g.OutW {
			t.Fatalf("%s: weight %d has %d taps", desc, wi, len(st.Taps))
		}
		if ((st.KY * kw) + st.KX) != wi%(kh*kw) {
			t.Fatalf("%s: weight %d at (%d,%d)", desc, wi, st.KY, st.KX)
		}
		var total float64
		for i, tp := range st.Taps {
			if tp.N != i/(g.OutH*g.OutW) || tp.OutY != i/g.OutW%g.OutH || tp.OutX != i%g.OutW {
				t.Fatalf("%s: weight %d tap %d at n%d (%d,%d)", desc, wi, i, tp.N, tp.OutY, tp.OutX)
			}
			// The same cell the forward trace multiplies by this weight.
			fwd := TraceStep(g, x[tp.N*g.XLen(1):(tp.N+1)*g.XLen(1)], make([]float32, g.WeightLen()), nil, st.OutChannel, tp.OutY, tp.OutX)
			var ft *Tap
			for j := range fwd.Taps {
				if f := &fwd.Taps[j]; f.C == st.Channel && f.KY == st.KY && f.KX == st.KX {
					ft = f
				}
			}
			if ft == nil || ft.Y != tp.Y || ft.X != tp.X || ft.Cell != tp.Cell || ft.Input != tp.Input || ft.WY != st.WY || ft.WX != st.WX {
				t.Fatalf("%s: weight %d tap %+v, forward trace says %+v", desc, wi, tp, ft)
			}
			if want := dy[((tp.N*g.OutChannels+st.OutChannel)*g.OutH+tp.OutY)*g.OutW+tp.OutX]; tp.Grad != want {
				t.Fatalf("%s: weight %d tap reads dY %v, want %v", desc, wi, tp.Grad, want)
			}
			total += float64(tp.Product)
		}
		if d := math.Abs(total - float64(st.Sum)); d > 1e-4*(1+math.Abs(total)) {
			t.Fatalf("%s: weight %d sums to %v, its products to %v", desc, wi, st.Sum, total)
		}
	}
}

// checkInputParts: an input cell's parts are the dual convolution's steps
// at every grid cell that shows it (Conv2d) or at the cell itself.
func checkInputParts(t *testing.T, g *Geometry, desc string, dy, w []float32) {
	t.Helper()
	d := g.InputGradGeometry()
	if g.Transposed {
		if d.OutH < g.InH || d.OutW < g.InW || d.Transposed {
			t.Fatalf("%s: dual %s gives %dx%d", desc, describeGeometry(d), d.OutH, d.OutW)
		}
	} else if d.OutH != g.PaddedH() || d.OutW != g.PaddedW() || !d.Transposed {
		t.Fatalf("%s: dual %s gives %dx%d, padded grid %dx%d", desc, describeGeometry(d), d.OutH, d.OutW, g.PaddedH(), g.PaddedW())
	}
	copies := map[[3]int]int{}
	if !g.Transposed {
		for y := range g.PaddedH() {
			for x := range g.PaddedW() {
				if c := g.CellAt(y, x); c.SrcY >= 0 {
					copies[[3]int{c.SrcY, c.SrcX}]++
				}
			}
		}
	}
	for _, st := range TraceInputGrad(g, dy, w) {
		want := 1
		if !g.Transposed {
			want = copies[[3]int{st.Y, st.X}]
		}
		if len(st.Parts) != want {
			t.Fatalf("%s: input (%d,%d,%d) has %d parts, the grid shows it %d times", desc, st.Channel, st.Y, st.X, len(st.Parts), want)
		}
		for _, p := range st.Parts {
			if p.OutChannel != st.Channel {
				t.Fatalf("%s: input channel %d collects from channel %d", desc, st.Channel, p.OutChannel)
			}
			if g.Transposed {
				if p.OutY != st.Y || p.OutX != st.X {
					t.Fatalf("%s: input (%d,%d) from output (%d,%d)", desc, st.Y, st.X, p.OutY, p.OutX)
				}
			} else if c := g.CellAt(p.OutY, p.OutX); c.SrcY != st.Y || c.SrcX != st.X {
				t.Fatalf("%s: input (%d,%d) collects grid cell (%d,%d) showing %+v", desc, st.Y, st.X, p.OutY, p.OutX, c)
			}
		}
	}
}

// TestBackwardTraceLesson: the lesson's 5×5 example under the cross filter
// with dY = ones: dW of each weight is the sum of the 3×3 input cells it
// touched, db the number of outputs, and the corner input cell gets only
// the weight that covers it.
func TestBackwardTraceLesson(t *testing.T) {
	g, err := Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{3, 3}, Bias: true}.Resolve(5, 5)
	if err != nil {
		t.Fatal(err)
	}
	x := []float32{1, 2, 3, 1, 0, 0, 1, 5, 2, 1, 1, 0, 2, 3, 1, 2, 1, 0, 1, 4, 0, 3, 1, 2, 1} // the /conv preset lesson-5x5
	w := []float32{1, 0, 1, 0, 1, 0, 1, 0, 1}
	dy := []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}
	st := TraceWeightGradStep(g, x, dy, 1, 0)
	if len(st.Taps) != 9 || st.Sum != 1+2+3+0+1+5+1+0+2 || st.Taps[4].Input != 1 || st.Taps[4].Grad != 1 {
		t.Fatalf("dW[0,0] = %+v", st)
	}
	if db := TraceBiasGrad(g, dy, 1); db[0].Sum != 9 || len(db[0].Terms) != 9 {
		t.Fatalf("db = %+v", db)
	}
	corner := TraceInputGradStep(g, dy, w, 0, 0, 0)
	if len(corner.Parts) != 1 || corner.Sum != w[0] {
		t.Fatalf("dX[0,0] = %+v", corner)
	}
	// The centre cell lies under every weight once: the sum of the kernel.
	centre := TraceInputGradStep(g, dy, w, 0, 2, 2)
	if centre.Sum != 5 || len(centre.Parts[0].Taps) != 9 {
		t.Fatalf("dX[2,2] = %+v", centre)
	}
}

// TestInputGradStrideShowsInsertedZeros: with stride 2 the dual grid of
// dY has inserted zeros, and they contribute exactly nothing.
func TestInputGradStrideShowsInsertedZeros(t *testing.T) {
	g, err := Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{3, 3}, Stride: [2]int{2, 2}}.Resolve(5, 5)
	if err != nil {
		t.Fatal(err)
	}
	d := g.InputGradGeometry()
	if !d.Transposed || d.OutH != 5 || d.PaddedH() != 7 {
		t.Fatalf("dual %s", describeGeometry(d))
	}
	st := TraceInputGradStep(g, []float32{1, 2, 3, 4}, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}, 0, 1, 1)
	inserted := 0
	for _, tp := range st.Parts[0].Taps {
		if tp.Kind == Inserted {
			inserted++
			if tp.Product != 0 {
				t.Fatalf("inserted zero multiplies to %v", tp.Product)
			}
		}
	}
	// Input (1,1) sits under the kernel centre of output (0,0) only: 1·w[1,1] = 5.
	if inserted == 0 || st.Sum != 5 {
		t.Fatalf("dX[1,1] = %v with %d inserted zeros", st.Sum, inserted)
	}
}
