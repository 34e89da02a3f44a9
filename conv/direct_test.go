package conv

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestDirectMatchesNaive holds the direct kernels of one input channel to
// the naive oracle: kernel sizes 1–7 (square and not), every padding mode
// and amount, widths that are and are not a whole number of vectors, with
// and without bias, one and two workers, forward only (backward stays
// im2col) but the backward of the same Conv checked too.
func TestDirectMatchesNaive(t *testing.T) {
	defer func(a, b int) { minParallelMACs, minSplitGemm = a, b }(minParallelMACs, minSplitGemm)
	minParallelMACs, minSplitGemm = 0, 0
	r := rand.New(rand.NewPCG(31, 7))
	kernels := 0
	for _, k := range gemmKernels {
		if k.direct == nil {
			continue
		}
		kernels++
		configs := 0
		for configs < 60 {
			s := Spec{
				InChannels:  1,
				OutChannels: 8 * (1 + r.IntN(4)),
				KernelSize:  [2]int{1 + r.IntN(7), 1 + r.IntN(7)},
				Padding:     [2]int{r.IntN(4), r.IntN(4)},
				PaddingMode: []PaddingMode{Zeros, Zeros, Reflect, Replicate, Circular}[r.IntN(5)],
				Bias:        r.IntN(3) > 0,
			}
			if r.IntN(5) == 0 {
				s.PaddingStr = "same"
			}
			g, err := s.Resolve(1+r.IntN(40), 1+r.IntN(40))
			if err != nil || !directEligible(g, k) {
				continue
			}
			configs++
			n := 1 + r.IntN(4)
			for _, workers := range []int{1, 2} {
				c := New(g)
				c.kern, c.Workers = k, workers
				name := fmt.Sprintf("%s %+v %dx%d n=%d workers=%d", k.name, s, g.InH, g.InW, n, workers)
				checkConv(t, name, c, n, r)
				if !c.direct {
					t.Fatalf("%s: the im2col path ran", name)
				}
			}
		}
	}
	if kernels == 0 {
		t.Skip("no kernel with a direct convolution on this CPU")
	}
}

// TestDirectNotPastRows: a direct kernel writes exactly its 8 planes
// (NaN guards after them stay NaN) and reads nothing past the padded plane
// (it is the last thing in its slice).
func TestDirectNotPastRows(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 1))
	for _, k := range gemmKernels {
		if k.direct == nil {
			continue
		}
		for ow := 8; ow <= 40; ow++ {
			for _, kw := range []int{1, 3, 5} {
				oh := 1 + (ow+kw)%4 // 1 to 4 rows: row pairs and a row left over (rows of 24)
				const kh = 3
				pw := ow + kw - 1
				pp := randSlice(r, (oh+kh-1)*pw) // exactly the plane (the wrapper checks the kernel reads no further)
				wt := make([]float32, (kh*kw+1)*8*k.direct.bcast)
				w, b := randSlice(r, 8*kh*kw), randSlice(r, 8)
				directWeights(wt, w, b, 8, kh*kw, k.direct.bcast)
				ldy := oh*ow + 5
				name := fmt.Sprintf("%s ow=%d oh=%d kw=%d", k.name, ow, oh, kw)
				y := make([]float32, 8*ldy)
				for i := range y {
					y[i] = nan32
				}
				k.direct.run(y, ldy, pp, pw, wt, kh, kw, ow, oh)
				for c := range 8 {
					for i := range ldy {
						v := y[c*ldy+i]
						if i < oh*ow {
							oy, ox := i/ow, i%ow
							want := float64(b[c])
							for a := range kh {
								for bb := range kw {
									want += float64(w[c*kh*kw+a*kw+bb]) * float64(pp[(oy+a)*pw+ox+bb])
								}
							}
							if d := float64(v) - want; d > 1e-4 || d < -1e-4 || v != v {
								t.Fatalf("%s: y[%d][%d] = %g, want %g", name, c, i, v, want)
							}
						} else if v == v {
							t.Fatalf("%s: wrote %g past plane %d (at %d)", name, v, c, i)
						}
					}
				}
			}
		}
	}
}

var nan32 = float32(nan64())

func nan64() float64 { var z float64; return z / z }
