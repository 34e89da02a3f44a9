//go:build !purego

package conv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestWinoRowsAVX2 holds each AVX2 transform kernel to its Go twin on
// every tile-row width up to 20 and both parities of the plane, and checks
// that it writes nothing outside what it may: a guard of NaNs around every
// output, and around the padded planes.
func TestWinoRowsAVX2(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	const guard = 40
	for tx := 1; tx <= 20; tx++ {
		for nty := 1; nty <= 3; nty++ {
			for _, odd := range []int{0, 1} {
				ow, oh := 2*tx-odd, 2*nty-odd
				name := fmt.Sprintf("tx=%d nty=%d ow=%d oh=%d", tx, nty, ow, oh)
				ms := nty*tx + 8
				m := randSlice(r, 16*ms+8)
				// output: two planes, the first may spill into the second
				for _, planes := range []int{1, 2} {
					want := make([]float32, planes*oh*ow+guard)
					got := make([]float32, planes*oh*ow+guard)
					for i := range got {
						got[i], want[i] = float32(math.NaN()), float32(math.NaN())
					}
					for p := planes - 1; p >= 0; p-- {
						winoOutputGo(want[p*oh*ow:planes*oh*ow], m, ms, 0.5, tx, nty, ow, oh)
					}
					for p := range planes {
						winoOutputSIMD(got[p*oh*ow:planes*oh*ow], m, ms, 0.5, tx, nty, ow, oh)
					}
					for i := range got {
						if !(got[i] == want[i] || math.IsNaN(float64(got[i])) && math.IsNaN(float64(want[i]))) {
							t.Fatalf("output %s planes=%d: y[%d] = %g, want %g", name, planes, i, got[i], want[i])
						}
					}
				}
				// input and grad: the stores to out[ξ·vs + r·tx + j] for j < tx
				// must equal Go's; the 8-wide tails may write only the slack.
				sw := 2*tx + 2 + 2*odd
				plane := randSlice(r, (2*nty+2)*sw+winoSlack)
				vs := nty*tx + 8
				for _, k := range []string{"input", "grad"} {
					want, got := make([]float32, 16*vs), make([]float32, 16*vs)
					if k == "input" {
						winoInputGo(want, vs, plane, sw, tx, nty)
						winoInputSIMD(got, vs, plane, sw, tx, nty)
					} else {
						winoGradGo(want, vs, plane, plane[sw/2:], sw, tx, nty)
						winoGradSIMD(got, vs, plane, plane[sw/2:], sw, tx, nty)
					}
					for xi := range 16 {
						for i := range nty * tx {
							if g, w := got[xi*vs+i], want[xi*vs+i]; g != w {
								t.Fatalf("%s %s: ξ %d tile %d = %g, want %g", k, name, xi, i, g, w)
							}
						}
					}
				}
			}
		}
	}
}

// TestWinoPadAVX2: the even/odd split copy equals Go's, borders stay zero.
func TestWinoPadAVX2(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for srcW := 1; srcW <= 40; srcW++ {
		for left := 0; left <= 2; left++ {
			for top := 0; top <= 2; top++ {
				const srcH, nc = 3, 2
				g := newWinoGrid(srcH+top+2-2, srcW+2*left-2+2, srcH, srcW, top, left, 0)
				if g.outW < 1 || g.outH < 1 || g.left+g.srcW > g.sw {
					continue
				}
				src := randSlice(r, nc*srcH*srcW)
				want, got := make([]float32, nc*g.planeLen()+winoSlack), make([]float32, nc*g.planeLen()+winoSlack)
				winoPadGo(want, src, &g, nc)
				winoPadSIMD(got, src, &g, nc)
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("srcW=%d left=%d top=%d: buf[%d] = %g, want %g", srcW, left, top, i, got[i], want[i])
					}
				}
			}
		}
	}
}
