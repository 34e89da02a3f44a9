package conv

// An independent float64 reference for the engine, built on gonum: every
// convolution as im2col + a dense matrix product (gonum's mat.Dense.Mul),
// the gradients as the products with the transposes, and col2im. It shares
// nothing with the engine but the Spec: its own output sizes, its own
// padding arithmetic (zeros, reflect, replicate, circular, negative padding
// that crops, "same" and "valid"), its own transposed convolution (the
// adjoint of the direct one), in float64. It is held to PyTorch's golden
// answers and to the naive oracle, so the engine's two implementations and
// PyTorch are checked against a third that was written separately.
//
// BenchmarkGonumForward compares gonum's float32 GEMM (blas32.Gemm), used
// as the engine's GEMM would be, with the engine itself; run it with and
// without -tags purego (the portable path): see docs/ARCHITECTURE.md,
// "gonum".

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/mat"
)

// refConv is one convolution as the reference sees it.
type refConv struct {
	cin, cout, groups        int
	inH, inW, outH, outW     int
	kh, kw, sh, sw, dh, dw   int
	top, bottom, left, right int // padding of the direct convolution (transposed: p on every side)
	mode                     PaddingMode
	transposed               bool
}

// newRefConv derives the sizes from s alone (PyTorch's formulas), or
// reports false where the reference does not apply (s is refused).
func newRefConv(s Spec, inH, inW int) (refConv, bool) {
	r := refConv{cin: s.InChannels, cout: s.OutChannels, groups: max(s.Groups, 1), inH: inH, inW: inW,
		kh: s.KernelSize[0], kw: s.KernelSize[1], sh: max(s.Stride[0], 1), sw: max(s.Stride[1], 1),
		dh: max(s.Dilation[0], 1), dw: max(s.Dilation[1], 1), mode: s.PaddingMode, transposed: s.Transposed}
	if r.mode == "" {
		r.mode = Zeros
	}
	ekh, ekw := r.dh*(r.kh-1)+1, r.dw*(r.kw-1)+1
	switch {
	case s.Transposed:
		r.top, r.bottom, r.left, r.right = s.Padding[0], s.Padding[0], s.Padding[1], s.Padding[1]
		r.outH = (inH-1)*r.sh - 2*s.Padding[0] + ekh + s.OutputPadding[0]
		r.outW = (inW-1)*r.sw - 2*s.Padding[1] + ekw + s.OutputPadding[1]
	case s.PaddingStr == "same":
		r.top, r.left = (ekh-1)/2, (ekw-1)/2
		r.bottom, r.right = ekh-1-r.top, ekw-1-r.left
	case s.PaddingStr == "valid":
	default:
		r.top, r.bottom, r.left, r.right = s.Padding[0], s.Padding[0], s.Padding[1], s.Padding[1]
	}
	if !s.Transposed {
		r.outH = (inH+r.top+r.bottom-ekh)/r.sh + 1
		r.outW = (inW+r.left+r.right-ekw)/r.sw + 1
	}
	return r, r.outH > 0 && r.outW > 0
}

// source maps a coordinate of the padded line (i counts from the first
// padding cell) to the cell of a line of n it shows, or -1 (a zero).
func source(mode PaddingMode, i, before, n int) int {
	p := i - before
	if p >= 0 && p < n {
		return p
	}
	switch mode {
	case Reflect: // mirror without repeating the edge
		for p < 0 || p >= n {
			if p < 0 {
				p = -p
			}
			if p >= n {
				p = 2*(n-1) - p
			}
		}
		return p
	case Replicate:
		return min(max(p, 0), n-1)
	case Circular:
		return ((p % n) + n) % n
	}
	return -1
}

// im2col lowers the c channels of src (c×h×w) for a direct convolution
// whose output is oh×ow: row (ch, ki, kj), column (oy, ox).
func (r refConv) im2col(src []float64, c, h, w, oh, ow int, mode PaddingMode) *mat.Dense {
	cols := mat.NewDense(c*r.kh*r.kw, oh*ow, nil)
	for ch := range c {
		for ki := range r.kh {
			for kj := range r.kw {
				row := (ch*r.kh+ki)*r.kw + kj
				for oy := range oh {
					y := source(mode, oy*r.sh+ki*r.dh, r.top, h)
					for ox := range ow {
						x := source(mode, ox*r.sw+kj*r.dw, r.left, w)
						if y >= 0 && x >= 0 {
							cols.Set(row, oy*ow+ox, src[(ch*h+y)*w+x])
						}
					}
				}
			}
		}
	}
	return cols
}

// col2im adds cols back onto dst (c×h×w): the adjoint of im2col.
func (r refConv) col2im(dst []float64, cols *mat.Dense, c, h, w, oh, ow int, mode PaddingMode) {
	for ch := range c {
		for ki := range r.kh {
			for kj := range r.kw {
				row := (ch*r.kh+ki)*r.kw + kj
				for oy := range oh {
					y := source(mode, oy*r.sh+ki*r.dh, r.top, h)
					for ox := range ow {
						x := source(mode, ox*r.sw+kj*r.dw, r.left, w)
						if y >= 0 && x >= 0 {
							dst[(ch*h+y)*w+x] += cols.At(row, oy*ow+ox)
						}
					}
				}
			}
		}
	}
}

func f64(s []float32) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

func f32(s []float64) []float32 {
	out := make([]float32, len(s))
	for i, v := range s {
		out[i] = float32(v)
	}
	return out
}

// run computes, for a batch of n, y (and with dy the gradients dx, dw, db;
// db only with a bias b) in float64.
func (r refConv) run(n int, x, w, b, dy []float32) (y, dx, dw, db []float64) {
	cing, coutg := r.cin/r.groups, r.cout/r.groups
	k2 := r.kh * r.kw
	inLen, outLen := r.cin*r.inH*r.inW, r.cout*r.outH*r.outW
	y = make([]float64, n*outLen)
	dx = make([]float64, n*inLen)
	dw = make([]float64, len(w))
	W := f64(w)
	for img := range n {
		X := f64(x[img*inLen : (img+1)*inLen])
		var DY []float64
		if dy != nil {
			DY = f64(dy[img*outLen : (img+1)*outLen])
		}
		for g := range r.groups {
			if !r.transposed {
				// y_g = W_g · cols(x_g); dW_g += dy_g · cols^T; dx_g = col2im(W_g^T · dy_g).
				k := cing * k2
				Wg := mat.NewDense(coutg, k, W[g*coutg*k:(g+1)*coutg*k])
				cols := r.im2col(X[g*cing*r.inH*r.inW:], cing, r.inH, r.inW, r.outH, r.outW, r.mode)
				var Y mat.Dense
				Y.Mul(Wg, cols)
				copy(y[img*outLen+g*coutg*r.outH*r.outW:], Y.RawMatrix().Data)
				if DY == nil {
					continue
				}
				DYg := mat.NewDense(coutg, r.outH*r.outW, DY[g*coutg*r.outH*r.outW:(g+1)*coutg*r.outH*r.outW])
				var DW, DC mat.Dense
				DW.Mul(DYg, cols.T())
				for i, v := range DW.RawMatrix().Data {
					dw[g*coutg*k+i] += v
				}
				DC.Mul(Wg.T(), DYg)
				r.col2im(dx[img*inLen+g*cing*r.inH*r.inW:], &DC, cing, r.inH, r.inW, r.outH, r.outW, r.mode)
				continue
			}
			// Transposed: the adjoint of the direct convolution from the
			// output's grid to the input's. y_g = col2im(W_g^T · x_g);
			// dx_g = W_g · cols(dy_g); dW_g += x_g · cols(dy_g)^T.
			k := coutg * k2
			Wg := mat.NewDense(cing, k, W[g*cing*k:(g+1)*cing*k])
			Xg := mat.NewDense(cing, r.inH*r.inW, X[g*cing*r.inH*r.inW:(g+1)*cing*r.inH*r.inW])
			var C mat.Dense
			C.Mul(Wg.T(), Xg)
			r.col2im(y[img*outLen+g*coutg*r.outH*r.outW:], &C, coutg, r.outH, r.outW, r.inH, r.inW, Zeros)
			if DY == nil {
				continue
			}
			cols := r.im2col(DY[g*coutg*r.outH*r.outW:], coutg, r.outH, r.outW, r.inH, r.inW, Zeros)
			var DX, DW mat.Dense
			DX.Mul(Wg, cols)
			copy(dx[img*inLen+g*cing*r.inH*r.inW:], DX.RawMatrix().Data)
			DW.Mul(Xg, cols.T())
			for i, v := range DW.RawMatrix().Data {
				dw[g*cing*k+i] += v
			}
		}
		plane := r.outH * r.outW
		for co := range b {
			for i := range plane {
				y[img*outLen+co*plane+i] += float64(b[co])
			}
		}
	}
	if b != nil && dy != nil {
		db = make([]float64, r.cout)
		plane := r.outH * r.outW
		for i, v := range dy {
			db[i/plane%r.cout] += float64(v)
		}
	}
	return y, dx, dw, db
}

// TestGonumReferenceMatchesTorch: the float64 reference against PyTorch's
// golden output and gradients, every accepted configuration.
func TestGonumReferenceMatchesTorch(t *testing.T) {
	gf := loadGolden(t)
	for i := range gf.Conv {
		c := &gf.Conv[i]
		r, ok := newRefConv(c.Spec.Spec(), c.InH, c.InW)
		if !ok || [4]int{c.N, r.cout, r.outH, r.outW} != c.OutShape {
			t.Errorf("%s: the reference's output %dx%dx%d, PyTorch %v", c.describe(), r.cout, r.outH, r.outW, c.OutShape)
			continue
		}
		var b []float32
		if c.Spec.Bias {
			b = c.B
		}
		y, dx, dw, db := r.run(c.N, c.X, c.W, b, c.GY)
		in := [4]int{c.N, c.Spec.InChannels, c.InH, c.InW}
		if !closeTo(t, c.describe()+" gonum output", f32(y), c.Y, c.OutShape) ||
			!closeTo(t, c.describe()+" gonum grad_input", f32(dx), c.GX, in) ||
			!closeTo(t, c.describe()+" gonum grad_weight", f32(dw), c.GW, [4]int{}) {
			continue
		}
		if c.Spec.Bias {
			closeTo(t, c.describe()+" gonum grad_bias", f32(db), c.GB, [4]int{})
		}
	}
}

// TestGonumReferenceMatchesNaive: the reference against the naive oracle
// (and so the fast path, which TestFastMatchesNaive holds to it) on random
// configurations beyond the golden file.
func TestGonumReferenceMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 34))
	checked := 0
	for range 300 {
		s, inH, inW := randomSpec(rng)
		g, err := s.Resolve(inH, inW)
		if err != nil {
			continue
		}
		r, ok := newRefConv(s, inH, inW)
		if !ok || r.outH != g.OutH || r.outW != g.OutW {
			t.Fatalf("%+v on %dx%d: reference output %dx%d, Resolve %dx%d", s, inH, inW, r.outH, r.outW, g.OutH, g.OutW)
		}
		n := 1 + rng.IntN(2)
		x, w := randSlice(rng, g.XLen(n)), randSlice(rng, g.WeightLen())
		var b, db []float32
		if g.Bias {
			b, db = randSlice(rng, g.OutChannels), make([]float32, g.OutChannels)
		}
		dy := randSlice(rng, g.OutLen(n))
		y, dx, dw := make([]float32, g.OutLen(n)), make([]float32, g.XLen(n)), make([]float32, g.WeightLen())
		ForwardNaive(g, y, x, w, b, n)
		BackwardNaive(g, dx, dw, db, dy, x, w, n)
		ry, rdx, rdw, rdb := r.run(n, x, w, b, dy)
		for _, cmp := range []struct {
			what     string
			ref, got []float32
		}{{"y", f32(ry), y}, {"dx", f32(rdx), dx}, {"dw", f32(rdw), dw}, {"db", f32(rdb), db}} {
			if e := relErr(cmp.got, cmp.ref); e > 1e-5 {
				t.Errorf("%+v on %dx%d: naive %s differs from the gonum reference by %.3g", s, inH, inW, cmp.what, e)
			}
		}
		checked++
	}
	if checked < 150 {
		t.Errorf("only %d random configurations resolved", checked)
	}
}

// BenchmarkGonumForward: one forward pass as im2col + gonum's blas32.Gemm
// (float32; gonum's pure-Go GEMM, which splits large products across
// goroutines) beside the engine's conv.New on the same shapes (with
// -tags purego the engine's portable kernel). Per-image im2col and GEMM,
// as the engine does; groups 1, zero padding.
func BenchmarkGonumForward(b *testing.B) {
	for _, bc := range []struct {
		n, cin, h, cout, k, pad int
	}{{64, 1, 28, 32, 3, 1}, {64, 32, 14, 64, 3, 1}, {1, 1, 28, 8, 5, 2}} {
		s := Spec{InChannels: bc.cin, OutChannels: bc.cout, KernelSize: [2]int{bc.k, bc.k}, Padding: [2]int{bc.pad, bc.pad}, Bias: true}
		g, err := s.Resolve(bc.h, bc.h)
		if err != nil {
			b.Fatal(err)
		}
		r, _ := newRefConv(s, bc.h, bc.h)
		rng := rand.New(rand.NewPCG(1, 2))
		x, w, bias := randSlice(rng, g.XLen(bc.n)), randSlice(rng, g.WeightLen()), randSlice(rng, bc.cout)
		y := make([]float32, g.OutLen(bc.n))
		name := fmt.Sprintf("n%d_c%d_%dx%d_o%d_k%d_p%d", bc.n, bc.cin, bc.h, bc.h, bc.cout, bc.k, bc.pad)
		flops := 2 * float64(bc.n*g.MACs())

		kk, p := bc.cin*bc.k*bc.k, g.OutH*g.OutW
		cols := make([]float32, kk*p)
		b.Run("gonum/"+name, func(b *testing.B) {
			loop(b, flops, func() {
				for img := range bc.n {
					xi := x[img*g.XLen(1):]
					for row := range kk {
						ch, ki, kj := row/(bc.k*bc.k), row/bc.k%bc.k, row%bc.k
						for oy := range g.OutH {
							sy := oy*r.sh + ki*r.dh - r.top
							for ox := range g.OutW {
								sx := ox*r.sw + kj*r.dw - r.left
								v := float32(0)
								if sy >= 0 && sy < bc.h && sx >= 0 && sx < bc.h {
									v = xi[(ch*bc.h+sy)*bc.h+sx]
								}
								cols[row*p+oy*g.OutW+ox] = v
							}
						}
					}
					out := y[img*g.OutLen(1) : (img+1)*g.OutLen(1)]
					for co := range bc.cout {
						for i := range p {
							out[co*p+i] = bias[co]
						}
					}
					blas32.Gemm(blas.NoTrans, blas.NoTrans, 1,
						blas32.General{Rows: bc.cout, Cols: kk, Stride: kk, Data: w},
						blas32.General{Rows: kk, Cols: p, Stride: p, Data: cols},
						1, blas32.General{Rows: bc.cout, Cols: p, Stride: p, Data: out})
				}
			})
		})
		want := make([]float32, len(y))
		ForwardNaive(g, want, x, w, bias, bc.n)
		if e := relErr(y, want); b.N > 0 && e > 1e-4 && y[0] != 0 {
			b.Fatalf("gonum forward differs from the oracle by %.3g", e)
		}
		c := New(g)
		b.Run("convlab/"+name, func(b *testing.B) {
			loop(b, flops, func() { c.Forward(y, x, w, bias, bc.n) })
		})
	}
}
