package conv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestBackwardNaiveFiniteDifference checks BackwardNaive against central
// differences of ForwardNaive on tiny configurations: with the loss
// L = Σ y·gy, dL/dθ ≈ (L(θ+h) − L(θ−h)) / 2h for every input, weight and
// bias element. Convolution is linear in each operand, so the difference is
// exact up to float32 rounding of y.
func TestBackwardNaiveFiniteDifference(t *testing.T) {
	specs := []struct {
		name string
		s    Spec
		h, w int
	}{
		{"plain 3x3", Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{3, 3}, Bias: true}, 4, 4},
		{"stride, padding, rectangular", Spec{InChannels: 2, OutChannels: 2, KernelSize: [2]int{2, 3}, Stride: [2]int{2, 1}, Padding: [2]int{1, 2}, Bias: true}, 4, 3},
		{"reflect, dilation", Spec{InChannels: 1, OutChannels: 2, KernelSize: [2]int{2, 2}, Dilation: [2]int{2, 1}, Padding: [2]int{1, 1}, PaddingMode: Reflect}, 3, 3},
		{"circular same even", Spec{InChannels: 2, OutChannels: 2, KernelSize: [2]int{2, 4}, PaddingStr: "same", PaddingMode: Circular, Groups: 2, Bias: true}, 3, 3},
		{"replicate crop", Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{2, 2}, Padding: [2]int{-1, 2}, PaddingMode: Replicate}, 4, 2},
		{"transposed groups output_padding", Spec{InChannels: 2, OutChannels: 4, KernelSize: [2]int{3, 2}, Stride: [2]int{2, 3}, Padding: [2]int{1, 0}, OutputPadding: [2]int{1, 2}, Groups: 2, Transposed: true, Bias: true}, 2, 3},
		{"transposed dilation", Spec{InChannels: 1, OutChannels: 2, KernelSize: [2]int{2, 2}, Dilation: [2]int{2, 3}, OutputPadding: [2]int{1, 0}, Transposed: true}, 2, 2},
	}
	r := rand.New(rand.NewPCG(5, 6))
	const n, h = 2, 0.25
	for _, tc := range specs {
		g, err := tc.s.Resolve(tc.h, tc.w)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		x, w := randomSlice(r, g.XLen(n)), randomSlice(r, g.WeightLen())
		var b, db []float32
		if g.Bias {
			b, db = randomSlice(r, g.OutChannels), make([]float32, g.OutChannels)
		}
		gy := randomSlice(r, g.OutLen(n))
		dx, dw := make([]float32, len(x)), make([]float32, len(w))
		BackwardNaive(g, dx, dw, db, gy, x, w, n)

		y := make([]float32, g.OutLen(n))
		loss := func() float64 {
			ForwardNaive(g, y, x, w, b, n)
			var l float64
			for i := range y {
				l += float64(y[i]) * float64(gy[i])
			}
			return l
		}
		check := func(what string, param, grad []float32) {
			var scale float64
			for _, v := range grad {
				scale = math.Max(scale, math.Abs(float64(v)))
			}
			for i := range param {
				old := param[i]
				param[i] = old + h
				lp := loss()
				param[i] = old - h
				lm := loss()
				param[i] = old
				fd := (lp - lm) / (2 * h)
				if math.Abs(fd-float64(grad[i])) > 1e-4*(1+scale) {
					t.Errorf("%s: d loss/d %s[%d] = %v by finite difference, BackwardNaive gives %v", tc.name, what, i, fd, grad[i])
				}
			}
		}
		check("input", x, dx)
		check("weight", w, dw)
		if b != nil {
			check("bias", b, db)
		}
	}
}

// TestNaivePanicsOnWrongLengths: slices of the wrong length are programmer
// errors and panic with a constant message instead of corrupting memory.
func TestNaivePanicsOnWrongLengths(t *testing.T) {
	g, err := Spec{InChannels: 2, OutChannels: 3, KernelSize: [2]int{3, 3}, Bias: true}.Resolve(5, 5)
	if err != nil {
		t.Fatal(err)
	}
	x, w, b, y := make([]float32, g.XLen(1)), make([]float32, g.WeightLen()), make([]float32, 3), make([]float32, g.OutLen(1))
	for name, f := range map[string]func(){
		"short x":         func() { ForwardNaive(g, y, x[1:], w, b, 1) },
		"short w":         func() { ForwardNaive(g, y, x, w[1:], b, 1) },
		"long b":          func() { ForwardNaive(g, y, x, w, append(b, 0), 1) },
		"short y":         func() { ForwardNaive(g, y[1:], x, w, b, 1) },
		"batch mismatch":  func() { ForwardNaive(g, y, x, w, b, 2) },
		"nil x":           func() { ForwardNaive(g, y, nil, w, b, 1) },
		"backward short":  func() { BackwardNaive(g, x[1:], w, b, y, x, w, 1) },
		"backward no dy":  func() { BackwardNaive(g, x, w, b, nil, x, w, 1) },
		"trace out range": func() { TraceStep(g, x, w, b, 3, 0, 0) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("%s: no panic", name)
				} else if _, ok := r.(string); !ok {
					t.Errorf("%s: panic value %T, want a constant string", name, r)
				}
			}()
			f()
		}()
	}
}

// TestNaiveNonFiniteLikePyTorch: PyTorch multiplies zero-padding cells too,
// so an infinite weight over padding gives NaN (0·Inf), while the zeros a
// transposed convolution inserts are never multiplied. The expected
// patterns are PyTorch's output for these inputs:
//
//	w = ones(1,1,3,3); w[0,0,0,0] = inf; x = ones(1,1,3,3)
//	F.conv2d(x, w, padding=1)            → [[nan nan nan] [nan inf inf] [nan inf inf]]
//	F.conv_transpose2d(x, w, stride=2)   → row 0: [inf 1 inf 1 inf 1 1], row 1: [1 1 2 1 2 1 1]
func TestNaiveNonFiniteLikePyTorch(t *testing.T) {
	inf := float32(math.Inf(1))
	x := []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}
	w := []float32{inf, 1, 1, 1, 1, 1, 1, 1, 1}
	kind := func(v float32) string {
		switch {
		case math.IsNaN(float64(v)):
			return "nan"
		case math.IsInf(float64(v), 1):
			return "inf"
		}
		return fmt.Sprint(v)
	}
	check := func(name string, s Spec, want []string) {
		g, err := s.Resolve(3, 3)
		if err != nil {
			t.Fatal(err)
		}
		y := make([]float32, g.OutLen(1))
		ForwardNaive(g, y, x, w, nil, 1)
		for i, wv := range want {
			if got := kind(y[i]); got != wv {
				t.Errorf("%s: y[%d] = %s, PyTorch %s", name, i, got, wv)
			}
		}
		for i := range y {
			oc, oy, ox := i/(g.OutH*g.OutW), i/g.OutW%g.OutH, i%g.OutW
			if st := TraceStep(g, x, w, nil, oc, oy, ox); kind(st.Sum) != kind(y[i]) {
				t.Errorf("%s: traced step %d sums to %v, forward %v", name, i, st.Sum, y[i])
			}
		}
	}
	check("conv2d padding 1", Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{3, 3}, Padding: [2]int{1, 1}},
		[]string{"nan", "nan", "nan", "nan", "inf", "inf", "nan", "inf", "inf"})
	check("conv_transpose2d stride 2", Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{3, 3}, Stride: [2]int{2, 2}, Transposed: true},
		[]string{"inf", "1", "inf", "1", "inf", "1", "1", "1", "1", "2", "1", "2", "1", "1"})
}
