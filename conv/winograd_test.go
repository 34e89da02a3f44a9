package conv

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// lowWinoThreshold lets every 3×3 geometry with few channels take the
// Winograd path for the rest of the test.
func lowWinoThreshold(t *testing.T) {
	old, all := winoMinChannels, winoAllKernels
	winoMinChannels, winoAllKernels = 1, true
	t.Cleanup(func() { winoMinChannels, winoAllKernels = old, all })
}

// TestWinogradMatchesNaive holds the Winograd path (forward, dX, dW, db)
// to the naive oracle on random eligible geometries: odd and even sizes,
// asymmetric and "same" padding from 0 to 2, batches that split into
// uneven image groups, every kernel, one and two workers.
func TestWinogradMatchesNaive(t *testing.T) {
	lowWinoThreshold(t)
	defer func(a, b int) { minParallelMACs, minSplitGemm = a, b }(minParallelMACs, minSplitGemm)
	minParallelMACs, minSplitGemm = 0, 0
	r := rand.New(rand.NewPCG(21, 3))
	configs, want := 0, 120
	if testing.Short() {
		want = 30
	}
	for configs < want {
		s := Spec{
			InChannels:  1 + r.IntN(12),
			OutChannels: 1 + r.IntN(12),
			KernelSize:  [2]int{3, 3},
			Padding:     [2]int{r.IntN(3), r.IntN(3)},
			Bias:        r.IntN(2) == 0,
		}
		if r.IntN(5) == 0 {
			s.PaddingStr = "same"
		}
		g, err := s.Resolve(1+r.IntN(13), 1+r.IntN(13))
		if err != nil {
			continue
		}
		if !winoEligible(g) {
			t.Fatalf("%+v %dx%d: not eligible for the Winograd path", s, g.InH, g.InW)
		}
		configs++
		n := 1 + r.IntN(7)
		for _, k := range gemmKernels {
			for _, workers := range []int{1, 2} {
				c := New(g)
				c.kern, c.Workers = k, workers
				name := fmt.Sprintf("%s %+v %dx%d n=%d workers=%d", k.name, s, g.InH, g.InW, n, workers)
				checkConv(t, name, c, n, r)
				if c.wino == nil {
					t.Fatalf("%s: the im2col path ran", name)
				}
			}
		}
	}
}

// TestWinogradGolden holds the Winograd path to PyTorch: every golden
// configuration it can run, through every kernel.
func TestWinogradGolden(t *testing.T) {
	lowWinoThreshold(t)
	gf := loadGolden(t)
	eligible := 0
	for i := range gf.Conv {
		gc := &gf.Conv[i]
		g, err := gc.Spec.Spec().Resolve(gc.InH, gc.InW)
		if err != nil || !winoEligible(g) {
			continue
		}
		eligible++
		for _, impl := range kernelGoldenImpls() {
			checkGoldenConv(t, impl, gc, i)
		}
	}
	t.Logf("%d golden configurations take the Winograd path", eligible)
	if eligible < 10 {
		t.Fatalf("only %d golden configurations take the Winograd path; want at least 10", eligible)
	}
}

// TestWinogradTakenForMNIST: the reference network's second layer (32→64,
// 3×3, padding 1, 14×14) takes the Winograd path at the default threshold,
// and its first (1→32) does not.
func TestWinogradTakenForMNIST(t *testing.T) {
	for _, tc := range []struct {
		s    Spec
		h    int
		want bool
	}{
		{Spec{InChannels: 32, OutChannels: 64, KernelSize: [2]int{3, 3}, Padding: [2]int{1, 1}, Bias: true}, 14, true},
		{Spec{InChannels: 1, OutChannels: 32, KernelSize: [2]int{3, 3}, Padding: [2]int{1, 1}, Bias: true}, 28, false},
		{Spec{InChannels: 32, OutChannels: 64, KernelSize: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}, 14, false},
		{Spec{InChannels: 32, OutChannels: 64, KernelSize: [2]int{3, 3}, Padding: [2]int{1, 1}, PaddingMode: Reflect}, 14, false},
		{Spec{InChannels: 32, OutChannels: 64, KernelSize: [2]int{3, 3}, Padding: [2]int{3, 3}}, 14, false},
	} {
		g, err := tc.s.Resolve(tc.h, tc.h)
		if err != nil {
			t.Fatal(err)
		}
		if got := winoEligible(g); got != tc.want {
			t.Errorf("%+v: Winograd %v, want %v", tc.s, got, tc.want)
		}
	}
}

// TestWinogradWeightTransforms: the weight gradient transform Gᵀ·dU·G is
// the adjoint of the weight transform G·g·Gᵀ (⟨U(g), dU⟩ = ⟨g, Uᵀ(dU)⟩ for
// random g and dU), turned kernels included.
func TestWinogradWeightTransforms(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	const cout, cin = 3, 2
	g := randSlice(r, cout*cin*9)
	du := randSlice(r, 16*cout*cin)
	u := make([]float32, 16*cout*cin)
	winoWeights(u, g, cout, cin, false)
	dg := make([]float32, len(g))
	winoWeightGrad(dg, du, cout, cin)
	var lhs, rhs float64
	for i := range u {
		lhs += float64(u[i]) * float64(du[i])
	}
	for i := range g {
		rhs += float64(g[i]) * float64(dg[i])
	}
	if d := lhs - rhs; d > 1e-4 || d < -1e-4 {
		t.Fatalf("⟨U(g), dU⟩ = %g but ⟨g, Gᵀ dU G⟩ = %g", lhs, rhs)
	}
	// The turned transform of kernel (co, ci) is the plain transform of
	// that kernel turned by 180°, stored at [ξ][ci][co].
	ub := make([]float32, 16*cout*cin)
	winoWeights(ub, g, cout, cin, true)
	turned := make([]float32, 9)
	one := make([]float32, 16)
	for co := range cout {
		for ci := range cin {
			for i := range 9 {
				turned[i] = g[(co*cin+ci)*9+8-i]
			}
			winoWeights(one, turned, 1, 1, false)
			for xi := range 16 {
				if got := ub[xi*cout*cin+ci*cout+co]; got != one[xi] {
					t.Fatalf("turned U[%d] of kernel (%d,%d) = %g, want %g", xi, co, ci, got, one[xi])
				}
			}
		}
	}
}
