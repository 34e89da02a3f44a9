package conv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// randomSpec draws a configuration covering every parameter: groups,
// dilation, strides, all padding modes and paddings, "same"/"valid",
// transposed with output_padding.
func randomSpec(r *rand.Rand) (Spec, int, int) {
	groups := []int{1, 1, 1, 2, 3}[r.IntN(5)]
	s := Spec{
		InChannels:  groups * (1 + r.IntN(4)),
		OutChannels: groups * (1 + r.IntN(4)),
		KernelSize:  [2]int{1 + r.IntN(4), 1 + r.IntN(4)},
		Stride:      [2]int{1 + r.IntN(3), 1 + r.IntN(3)},
		Dilation:    [2]int{1 + r.IntN(2), 1 + r.IntN(3)},
		Groups:      groups,
		Bias:        r.IntN(3) > 0,
	}
	if r.IntN(3) == 0 {
		s.Stride = [2]int{1, 1}
	}
	if r.IntN(3) == 0 {
		s.Dilation = [2]int{1, 1}
	}
	if r.IntN(3) == 0 {
		s.Transposed = true
		s.Padding = [2]int{r.IntN(3), r.IntN(3)}
		for i := range 2 {
			if lim := max(s.Stride[i], s.Dilation[i]); lim > 1 {
				s.OutputPadding[i] = r.IntN(lim)
			}
		}
	} else {
		s.PaddingMode = []PaddingMode{Zeros, Zeros, Reflect, Replicate, Circular}[r.IntN(5)]
		switch r.IntN(6) {
		case 0:
			s.PaddingStr = "same"
			s.Stride = [2]int{1, 1}
		case 1:
			s.PaddingStr = "valid"
		default:
			s.Padding = [2]int{r.IntN(4), r.IntN(4)}
		}
	}
	return s, 1 + r.IntN(12), 1 + r.IntN(12)
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// relErr is max|got-want| / max(max|want|, 1e-3).
func relErr(got, want []float32) float64 {
	var maxDiff, maxRef float64
	for i := range want {
		maxDiff = max(maxDiff, math.Abs(float64(got[i])-float64(want[i])))
		maxRef = max(maxRef, math.Abs(float64(want[i])))
	}
	if math.IsNaN(maxDiff) {
		return math.Inf(1)
	}
	return maxDiff / max(maxRef, 1e-3)
}

// checkConv runs c (every kernel the tests choose) against the oracle.
func checkConv(t *testing.T, name string, c *Conv, n int, r *rand.Rand) {
	t.Helper()
	g := c.G
	x := randSlice(r, g.XLen(n))
	w := randSlice(r, g.WeightLen())
	var b []float32
	if g.Bias {
		b = randSlice(r, g.OutChannels)
	}
	want := make([]float32, g.OutLen(n))
	ForwardNaive(g, want, x, w, b, n)
	got := randSlice(r, g.OutLen(n)) // garbage: Forward must overwrite
	c.Forward(got, x, w, b, n)
	if e := relErr(got, want); e > 1e-4 {
		t.Fatalf("%s: forward relative error %.3g", name, e)
	}
	dy := randSlice(r, g.OutLen(n))
	wdx, wdw, wdb := make([]float32, len(x)), make([]float32, len(w)), make([]float32, g.OutChannels)
	BackwardNaive(g, wdx, wdw, wdb, dy, x, w, n)
	dx, dw, db := randSlice(r, len(x)), randSlice(r, len(w)), randSlice(r, g.OutChannels)
	c.Backward(dx, dw, db, dy, x, w, n)
	for _, v := range []struct {
		what      string
		got, want []float32
	}{{"dx", dx, wdx}, {"dw", dw, wdw}, {"db", db, wdb}} {
		if e := relErr(v.got, v.want); e > 1e-4 {
			t.Fatalf("%s: backward %s relative error %.3g", name, v.what, e)
		}
	}
	// Each gradient on its own (the others nil).
	dx2 := make([]float32, len(x))
	c.Backward(dx2, nil, nil, dy, x, w, n)
	if e := relErr(dx2, wdx); e > 1e-4 {
		t.Fatalf("%s: backward dx alone relative error %.3g", name, e)
	}
	dw2 := make([]float32, len(w))
	c.Backward(nil, dw2, nil, dy, x, nil, n)
	if e := relErr(dw2, wdw); e > 1e-4 {
		t.Fatalf("%s: backward dw alone relative error %.3g", name, e)
	}
}

// TestFastMatchesNaive runs every GEMM kernel this CPU supports, the
// portable one included, on many random configurations, with one and
// several workers and with the single-image GEMM split forced on.
func TestFastMatchesNaive(t *testing.T) {
	defer func(a, b int) { minParallelMACs, minSplitGemm = a, b }(minParallelMACs, minSplitGemm)
	minParallelMACs, minSplitGemm = 0, 0
	if len(gemmKernels) < 1 || gemmKernels[0] != portableKernel {
		t.Fatal("the portable kernel must always be available")
	}
	t.Logf("kernels: %v (default %s)", kernelNames(), bestKernel().name)
	r := rand.New(rand.NewPCG(7, 7))
	configs, want := 0, 300
	if testing.Short() {
		want = 60
	}
	for configs < want {
		s, h, w := randomSpec(r)
		g, err := s.Resolve(h, w)
		if err != nil {
			continue
		}
		configs++
		n := 1 + r.IntN(4)
		workers := 1 + r.IntN(3)
		for _, k := range gemmKernels {
			c := New(g)
			c.kern = k
			c.Workers = workers
			name := fmt.Sprintf("%s %+v in %dx%d n=%d workers=%d", k.name, s, h, w, n, workers)
			checkConv(t, name, c, n, r)
			checkConv(t, name+" (again)", c, n, r) // reused scratch
		}
	}
}

// TestFastLargerShapes covers the shapes of the MNIST networks, where the
// GEMMs are big enough for the blocking (several k and n blocks) to matter.
func TestFastLargerShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	specs := []struct {
		s    Spec
		h, w int
		n    int
	}{
		{Spec{InChannels: 1, OutChannels: 32, KernelSize: [2]int{3, 3}, Padding: [2]int{1, 1}, Bias: true}, 28, 28, 3},
		{Spec{InChannels: 32, OutChannels: 64, KernelSize: [2]int{3, 3}, Padding: [2]int{1, 1}, Bias: true}, 14, 14, 2},
		{Spec{InChannels: 32, OutChannels: 64, KernelSize: [2]int{3, 3}, Padding: [2]int{1, 1}, Bias: true}, 14, 14, 1},
		{Spec{InChannels: 40, OutChannels: 70, KernelSize: [2]int{3, 3}, Padding: [2]int{1, 1}, Bias: true}, 30, 30, 1},
		{Spec{InChannels: 8, OutChannels: 16, KernelSize: [2]int{5, 5}, Padding: [2]int{2, 2}, Bias: true, PaddingMode: Reflect}, 14, 14, 3},
		{Spec{InChannels: 64, OutChannels: 64, KernelSize: [2]int{1, 1}, Bias: true}, 9, 9, 2},
		{Spec{InChannels: 48, OutChannels: 24, KernelSize: [2]int{4, 4}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, Transposed: true, Bias: true}, 9, 9, 2},
		{Spec{InChannels: 48, OutChannels: 48, KernelSize: [2]int{3, 3}, Padding: [2]int{1, 1}, Groups: 48}, 12, 12, 2},
		// Fully connected (a 1×1 convolution of a 1×1 input), as mnist's Linear.
		{Spec{InChannels: 3136, OutChannels: 10, KernelSize: [2]int{1, 1}, Bias: true}, 1, 1, 40},
		{Spec{InChannels: 37, OutChannels: 5, KernelSize: [2]int{1, 1}}, 1, 1, 3},
		{Spec{InChannels: 37, OutChannels: 5, KernelSize: [2]int{1, 1}, Groups: 1, Bias: true}, 1, 1, 1},
	}
	for _, sp := range specs {
		g, err := sp.s.Resolve(sp.h, sp.w)
		if err != nil {
			t.Fatal(err)
		}
		if testing.Short() && g.MACs()*sp.n > 1e6 {
			continue // the race run uses -short; these take minutes under -race
		}
		for _, k := range gemmKernels {
			for _, workers := range []int{1, 2} {
				c := New(g)
				c.kern = k
				c.Workers = workers
				checkConv(t, fmt.Sprintf("%s %+v n=%d workers=%d", k.name, sp.s, sp.n, workers), c, sp.n, r)
			}
		}
	}
}

func kernelNames() []string {
	var s []string
	for _, k := range gemmKernels {
		s = append(s, k.name)
	}
	return s
}

// TestGemmKernels checks gemm in every transpose combination and odd sizes
// against a float64 triple loop.
func TestGemmKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	sizes := [][3]int{{1, 1, 1}, {3, 5, 7}, {8, 32, 9}, {17, 33, 300}, {64, 196, 288}, {100, 2100, 20}, {9, 70, 600}}
	for _, k := range append(gemmKernels[:len(gemmKernels):len(gemmKernels)], extraKernels...) {
		var ws gemmWS
		for _, sz := range sizes {
			m, n, kk := sz[0], sz[1], sz[2]
			if testing.Short() && m*n*kk > 1e6 {
				continue
			}
			for _, tA := range []bool{false, true} {
				for _, tB := range []bool{false, true} {
					for _, acc := range []bool{false, true} {
						a, b := randSlice(r, m*kk), randSlice(r, kk*n)
						ldc := n + 3
						c := randSlice(r, m*ldc)
						want := make([]float32, len(c))
						copy(want, c)
						for i := range m {
							for j := range n {
								var s float64
								if acc {
									s = float64(want[i*ldc+j])
								}
								for p := range kk {
									av, bv := a[i*kk+p], b[p*n+j]
									if tA {
										av = a[p*m+i]
									}
									if tB {
										bv = b[j*kk+p]
									}
									s += float64(av) * float64(bv)
								}
								want[i*ldc+j] = float32(s)
							}
						}
						lda, ldb := kk, n
						if tA {
							lda = m
						}
						if tB {
							ldb = kk
						}
						ws.gemmDense(k, tA, tB, m, n, kk, a, lda, b, ldb, c, ldc, acc)
						if e := relErr(c, want); e > 1e-5 {
							t.Fatalf("%s m=%d n=%d k=%d tA=%v tB=%v acc=%v: relative error %.3g", k.name, m, n, kk, tA, tB, acc, e)
						}
					}
				}
			}
		}
	}
}

// TestFastNoAllocs: after the first call a Conv reuses its buffers.
func TestFastNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, sp := range []struct {
		s Spec
		n int
	}{
		{Spec{InChannels: 1, OutChannels: 32, KernelSize: [2]int{3, 3}, Padding: [2]int{1, 1}, Bias: true}, 8},
		{Spec{InChannels: 32, OutChannels: 64, KernelSize: [2]int{3, 3}, Padding: [2]int{1, 1}, Bias: true}, 1},
		{Spec{InChannels: 32, OutChannels: 64, KernelSize: [2]int{3, 3}, Padding: [2]int{1, 1}, Bias: true}, 8},
		{Spec{InChannels: 4, OutChannels: 6, KernelSize: [2]int{3, 3}, Stride: [2]int{2, 2}, Transposed: true, Bias: true}, 4},
	} {
		g, err := sp.s.Resolve(14, 14)
		if err != nil {
			t.Fatal(err)
		}
		c := New(g)
		c.Workers = 2
		n := sp.n
		x, w, b := randSlice(r, g.XLen(n)), randSlice(r, g.WeightLen()), randSlice(r, g.OutChannels)
		y, dy := make([]float32, g.OutLen(n)), randSlice(r, g.OutLen(n))
		dx, dw, db := make([]float32, len(x)), make([]float32, len(w)), make([]float32, len(b))
		step := func() {
			c.Forward(y, x, w, b, n)
			c.Backward(dx, dw, db, dy, x, w, n)
		}
		step()
		if a := testing.AllocsPerRun(20, step); a != 0 {
			t.Errorf("%+v n=%d: %v allocations per forward+backward, want 0", sp.s, n, a)
		}
	}
}

// TestSIMDHelpers compares each kernel's gather and addRows with the Go
// versions on every length up to 70 (full vectors, tails, both).
func TestSIMDHelpers(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for _, k := range gemmKernels {
		if k.gather != nil {
			src := randSlice(r, 500)
			for n := 0; n <= 70; n++ {
				idx := make([]int32, n)
				for i := range idx {
					idx[i] = int32(i*7 + r.IntN(7))
				}
				want, got := make([]float32, n), make([]float32, n)
				gatherGo(want, src, idx)
				k.gather(got, src, idx)
				if e := relErr(got, want); e != 0 {
					t.Fatalf("%s gather n=%d: error %v", k.name, n, e)
				}
			}
		}
		if k.panel != nil {
			src := randSlice(r, 3000)
			for _, w := range []int{16, 32} {
				for rows := 0; rows <= 19; rows++ {
					bases, idx := make([]int32, rows), make([]int32, w)
					if rows < 10 { // spread offsets: gathers
						for i := range bases {
							bases[i] = int32(i*200 + r.IntN(100))
						}
						for l := range idx {
							idx[l] = int32(l*3 + r.IntN(3))
						}
					} else { // runs of a stride-1 im2col row (permutes), the last rows reaching the end of src
						rowLen, gap := 3+r.IntN(20), r.IntN(5)
						for l := range idx {
							idx[l] = int32(l/rowLen*(rowLen+gap) + l%rowLen)
						}
						b := len(src) - 1 - int(idx[w-1])
						for i := rows - 1; i >= 0; i-- {
							bases[i] = int32(b)
							b -= 3 + r.IntN(40)
						}
					}
					want, got := make([]float32, rows*w), make([]float32, rows*w)
					for i, b := range bases {
						for l, o := range idx {
							want[i*w+l] = src[b+o]
						}
					}
					if !k.panel(got, src, bases, idx) {
						// A panel function may decline (the caller then
						// gathers), but not a stride-1 im2col panel of 16.
						if rows >= 10 && w == 16 {
							t.Fatalf("%s panel declined width %d", k.name, w)
						}
						continue
					}
					if e := relErr(got, want); e != 0 {
						t.Fatalf("%s panel w=%d rows=%d: error %v", k.name, w, rows, e)
					}
				}
			}
		}
		if k.copyPanel != nil {
			for _, w := range []int{8, 16, 32} {
				for n := 1; n <= 9; n++ {
					ld := w + r.IntN(7)
					a := randSlice(r, (n-1)*ld+w)
					want, got := make([]float32, n*w), make([]float32, n*w)
					for i := range n {
						copy(want[i*w:(i+1)*w], a[i*ld:i*ld+w])
					}
					if !k.copyPanel(got, a, ld, w, n) {
						t.Fatalf("%s copyPanel declined width %d", k.name, w)
					}
					if e := relErr(got, want); e != 0 {
						t.Fatalf("%s copyPanel w=%d n=%d ld=%d: error %v", k.name, w, n, ld, e)
					}
				}
			}
		}
		if k.addRows != nil {
			for cols := 1; cols <= 70; cols++ {
				rows, stride := 1+r.IntN(4), cols+r.IntN(5)
				src := randSlice(r, rows*cols)
				dst := randSlice(r, (rows-1)*stride+cols+3) // +3: must stay untouched
				want := append([]float32(nil), dst...)
				addRowsGo(want, src, rows, cols, stride)
				k.addRows(dst, src, rows, cols, stride)
				if e := relErr(dst, want); e != 0 {
					t.Fatalf("%s addRows rows=%d cols=%d stride=%d: error %v", k.name, rows, cols, stride, e)
				}
			}
		}
	}
}

// TestBackwardReproducible: workers take image chunks in whatever order
// they come, but the gradients are reduced in a fixed order, so repeated
// calls give bit-identical results (training runs are reproducible).
func TestBackwardReproducible(t *testing.T) {
	g, err := Spec{InChannels: 3, OutChannels: 8, KernelSize: [2]int{3, 3}, Padding: [2]int{1, 1}, Bias: true}.Resolve(10, 10)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(11, 12))
	n := 13
	x, w, dy := randSlice(r, g.XLen(n)), randSlice(r, g.WeightLen()), randSlice(r, g.OutLen(n))
	c := New(g)
	c.Workers = 3
	dw0, db0 := make([]float32, len(w)), make([]float32, g.OutChannels)
	c.Backward(nil, dw0, db0, dy, x, w, n)
	for range 20 {
		dw, db := make([]float32, len(w)), make([]float32, g.OutChannels)
		c.Backward(nil, dw, db, dy, x, w, n)
		for i := range dw {
			if dw[i] != dw0[i] {
				t.Fatalf("dw[%d] = %v, first call %v", i, dw[i], dw0[i])
			}
		}
		for i := range db {
			if db[i] != db0[i] {
				t.Fatalf("db[%d] = %v, first call %v", i, db[i], db0[i])
			}
		}
	}
}

// TestKernelByName: CONVLAB_GEMM's lookup finds every kernel of this CPU
// by name and reports (falling back to the fastest) a name it lacks.
func TestKernelByName(t *testing.T) {
	best := gemmKernels[len(gemmKernels)-1]
	if k, err := kernelByName(""); k != best || err != nil {
		t.Fatalf(`kernelByName("") = %v, %v; want %s`, k.name, err, best.name)
	}
	for _, want := range gemmKernels {
		if k, err := kernelByName(want.name); k != want || err != nil {
			t.Fatalf("kernelByName(%q) = %s, %v", want.name, k.name, err)
		}
	}
	k, err := kernelByName("no-such-isa")
	if k != best || err == nil || !strings.Contains(err.Error(), "portable") {
		t.Fatalf("kernelByName(no-such-isa) = %s, %v; want %s and an error listing the kernels", k.name, err, best.name)
	}
}

// TestEpilogueAndPrologue: Forward calls Epilogue once per image, after
// that image's output is complete; Backward calls Prologue once per image
// before reading that image's dy (here the Prologue writes it), and the
// gradients equal those from a dy filled in advance. Convolution, linear
// (1×1 of 1×1) and transposed geometries, one and several workers.
func TestEpilogueAndPrologue(t *testing.T) {
	defer func(a, b int) { minParallelMACs, minSplitGemm = a, b }(minParallelMACs, minSplitGemm)
	minParallelMACs, minSplitGemm = 0, 0
	r := rand.New(rand.NewPCG(9, 9))
	for _, tc := range []struct {
		s    Spec
		h, w int
	}{
		{Spec{InChannels: 3, OutChannels: 8, KernelSize: [2]int{3, 3}, Padding: [2]int{1, 1}, Bias: true}, 10, 9},
		{Spec{InChannels: 8, OutChannels: 9, KernelSize: [2]int{3, 3}, Padding: [2]int{1, 1}, Bias: true}, 9, 7}, // Winograd
		{Spec{InChannels: 20, OutChannels: 10, KernelSize: [2]int{1, 1}, Bias: true}, 1, 1},
		{Spec{InChannels: 2, OutChannels: 3, KernelSize: [2]int{3, 3}, Stride: [2]int{2, 2}, Transposed: true, Bias: true}, 5, 5},
	} {
		g, err := tc.s.Resolve(tc.h, tc.w)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 5} {
			for _, workers := range []int{1, 3} {
				name := fmt.Sprintf("%+v n=%d workers=%d", tc.s, n, workers)
				x, w, b := randSlice(r, g.XLen(n)), randSlice(r, g.WeightLen()), randSlice(r, g.OutChannels)
				want := make([]float32, g.OutLen(n))
				ForwardNaive(g, want, x, w, b, n)
				c := New(g)
				c.Workers = workers
				y := make([]float32, g.OutLen(n))
				per := g.OutLen(1)
				calls := make([]int, n) // each image written by one goroutine only
				bad := make([]float64, n)
				c.Epilogue = func(ni int) {
					calls[ni]++
					bad[ni] = relErr(y[ni*per:(ni+1)*per], want[ni*per:(ni+1)*per])
				}
				c.Forward(y, x, w, b, n)
				for ni := range n {
					if calls[ni] != 1 || bad[ni] > 1e-4 {
						t.Fatalf("%s: image %d: %d Epilogue calls, output relative error %.3g when called", name, ni, calls[ni], bad[ni])
					}
				}
				dySrc := randSlice(r, g.OutLen(n))
				wdx, wdw, wdb := make([]float32, len(x)), make([]float32, len(w)), make([]float32, len(b))
				New(g).Backward(wdx, wdw, wdb, dySrc, x, w, n)
				dy := make([]float32, len(dySrc)) // zero until the Prologue fills an image
				c.Epilogue = nil
				c.Prologue = func(ni int) {
					calls[ni]++
					copy(dy[ni*per:(ni+1)*per], dySrc[ni*per:(ni+1)*per])
				}
				dx, dw, db := make([]float32, len(x)), make([]float32, len(w)), make([]float32, len(b))
				c.Backward(dx, dw, db, dy, x, w, n)
				for ni := range n {
					if calls[ni] != 2 {
						t.Fatalf("%s: image %d: %d Prologue calls", name, ni, calls[ni]-1)
					}
				}
				if e := max(relErr(dx, wdx), relErr(dw, wdw), relErr(db, wdb)); e > 1e-4 {
					t.Fatalf("%s: gradients with the Prologue writing dy: relative error %.3g", name, e)
				}
			}
		}
	}
}
