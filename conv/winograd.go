package conv

import "os"

// Winograd's minimal filtering, F(2×2, 3×3) (Lavin & Gray, "Fast
// Algorithms for Convolutional Neural Networks", 2015): a 3×3 convolution
// of stride 1 computes each 2×2 block of output from a 4×4 tile of input
// with 16 multiplications instead of 36,
//
//	Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
//
//	     ⎡1  0 -1  0⎤        ⎡ 1    0    0 ⎤        ⎡1  1  1  0⎤
//	Bᵀ = ⎢0  1  1  0⎥    G = ⎢1/2  1/2  1/2⎥   Aᵀ = ⎣0  1 -1 -1⎦
//	     ⎢0 -1  1  0⎥        ⎢1/2 -1/2  1/2⎥
//	     ⎣0  1  0 -1⎦        ⎣ 0    0    1 ⎦
//
// where d is the input tile, g the 3×3 kernel (cross-correlation, as in
// PyTorch) and ⊙ the element-wise product. Summed over input channels, the
// product becomes 16 GEMMs, one per position ξ of the 4×4 transformed
// tile: M[ξ] (Cout×tiles) = U[ξ] (Cout×Cin) · V[ξ] (Cin×tiles). The
// transforms are additions only (and halvings of the weights), so the
// GEMMs, run by the same micro-kernels as the im2col path, do 2.25× less
// work. The backward pass uses the same identity:
//
//	dW:  dM = A dY Aᵀ per output tile;  dU[ξ] += dM[ξ] · V[ξ]ᵀ;  dg = Gᵀ dU G
//	dX:  a Winograd convolution of dY (zero-padded by 2 − padding) with the
//	     kernels turned 180° and in/out channels swapped
//
// Results differ from the direct sum by float32 rounding only (the tests
// hold them to the naive oracle and to PyTorch within the same tolerance as
// the im2col path). It serves 3×3, stride-1, undilated, ungrouped Conv2d
// with zero padding of at most 2 on each side and enough channels for the
// GEMMs to dominate the transforms (winoMinChannels): the 32→64 layer of
// the reference MNIST network, and any such layer of the visualizer.

// winoMinChannels is the fewest input and output channels for which the
// Winograd path is taken (a variable so that tests can cover small ones).
// With fewer, the transforms (additions, one channel at a time) cost more
// than the multiplications saved.
var winoMinChannels = 8

// winoAllKernels takes the Winograd path with every kernel, not only those
// marked for it (gemmKernel.winograd), for tests and benchmarks.
var winoAllKernels = false

// winoEnabled turns the Winograd path off when false: the environment
// variable CONVLAB_CONV=im2col does that for a process (with the direct
// kernels: every layer through im2col + GEMM, to compare, or to train
// exactly as the engine did before either existed: the shipped model's
// recipe, see the README), and tests and benchmarks set it.
var winoEnabled = !im2colOnly

// im2colOnly is CONVLAB_CONV=im2col.
var im2colOnly = os.Getenv("CONVLAB_CONV") == "im2col"

// winoEligible reports whether g runs through the Winograd path.
func winoEligible(g *Geometry) bool {
	ok := func(p int) bool { return p >= 0 && p <= 2 }
	return winoEnabled && !g.Transposed && g.Groups == 1 &&
		g.KernelSize == [2]int{3, 3} && g.Stride == [2]int{1, 1} && g.Dilation == [2]int{1, 1} &&
		g.PaddingMode == Zeros && ok(g.PadTop) && ok(g.PadBottom) && ok(g.PadLeft) && ok(g.PadRight) &&
		g.OutH >= 1 && g.OutW >= 1 &&
		g.InChannels >= winoMinChannels && g.OutChannels >= winoMinChannels
}

// winoGrid is one Winograd convolution's tiling: 2×2 output tiles over an
// outH×outW plane, read from a source plane srcH×srcW placed at (top,
// left) in zero planes of sh×sw = (2·ty+2+extra)×(2·tx+2+extra) (a zero
// row/column more than the padding when the output is odd-sized), each row
// stored as its even columns, then its odd ones.
type winoGrid struct {
	outH, outW int
	ty, tx, t  int // tiles down, across, in all
	srcH, srcW int
	top, left  int
	sh, sw     int
}

// newWinoGrid makes a tiling; extra adds zero rows and columns (an even
// number) below and right of the planes: the input gradient's grid keeps
// dY there, which the weight gradient also reads 2×2 tiles of (up to one
// row and column further).
func newWinoGrid(outH, outW, srcH, srcW, top, left, extra int) winoGrid {
	g := winoGrid{outH: outH, outW: outW, srcH: srcH, srcW: srcW, top: top, left: left}
	g.ty, g.tx = (outH+1)/2, (outW+1)/2
	g.t = g.ty * g.tx
	g.sh, g.sw = 2*g.ty+2+extra, 2*g.tx+2+extra
	return g
}

func (g *winoGrid) planeLen() int { return g.sh * g.sw }

// winoPlan is a Conv's Winograd state: the two tilings and the transformed
// weights of the call in progress.
type winoPlan struct {
	cin, cout int
	f, b      winoGrid // forward (tiles of Y, source X), input gradient (tiles of dX, source dY)
	nbMax     int      // images per GEMM at most: about winoColsTarget tile columns
	// u[ξ·cout·cin + co·cin + ci] = (G g Gᵀ)[ξ] of kernel (co, ci); ub the
	// same of the turned kernel, indexed [ξ][ci][co]. pu, pub: packed.
	u, ub   []float32
	pu, pub [16]packedA
	su, sub [16]denseSrc
	// du[q] is backward chunk q's dU[ξ][co][ci].
	du [][]float32
}

func newWinoPlan(g *Geometry, kern *gemmKernel) *winoPlan {
	p := &winoPlan{cin: g.InChannels, cout: g.OutChannels}
	p.f = newWinoGrid(g.OutH, g.OutW, g.InH, g.InW, g.PadTop, g.PadLeft, 0)
	p.b = newWinoGrid(g.InH, g.InW, g.OutH, g.OutW, 2-g.PadTop, 2-g.PadLeft, 2)
	cols := winoColsTarget
	if kern.winoRows == nil {
		cols /= 2 // the Go transforms: half as many (measured 2.5% faster for the portable train step)
	}
	p.nbMax = max(1, cols/max(p.f.t, p.b.t))
	return p
}

// batch is how many images a worker transforms for one set of GEMMs: up to
// nbMax, but never so many that a worker is left without images.
func (p *winoPlan) batch(n, nw int) int {
	return max(1, min(p.nbMax, (n+nw-1)/nw))
}

// winoWeights writes U = G g Gᵀ for every kernel of w (cout×cin×3×3):
// u[ξ·cout·cin + co·cin + ci]; with turned, the kernel turned by 180° to
// ub[ξ·cin·cout + ci·cout + co] (the input gradient's weights).
func winoWeights(u, w []float32, cout, cin int, turned bool) {
	plane := cout * cin
	u = u[:16*plane]
	w = w[:9*plane]
	for co := range cout {
		for ci := range cin {
			k := w[(co*cin+ci)*9:][:9:9]
			g0, g1, g2, g3, g4, g5, g6, g7, g8 := k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], k[8]
			off := co*cin + ci
			if turned {
				g0, g1, g2, g3, g5, g6, g7, g8 = g8, g7, g6, g5, g3, g2, g1, g0
				off = ci*cout + co
			}
			// h = G g (4×3, by columns b), then U = h Gᵀ (4×4, row by row).
			h00, h01, h02 := g0, g1, g2
			h10, h11, h12 := (g0+g3+g6)*0.5, (g1+g4+g7)*0.5, (g2+g5+g8)*0.5
			h20, h21, h22 := (g0-g3+g6)*0.5, (g1-g4+g7)*0.5, (g2-g5+g8)*0.5
			h30, h31, h32 := g6, g7, g8
			for i, h := range [4][3]float32{{h00, h01, h02}, {h10, h11, h12}, {h20, h21, h22}, {h30, h31, h32}} {
				o := 4*i*plane + off
				u[o] = h[0]
				u[o+plane] = (h[0] + h[1] + h[2]) * 0.5
				u[o+2*plane] = (h[0] - h[1] + h[2]) * 0.5
				u[o+3*plane] = h[2]
			}
		}
	}
}

// winoWeightGrad writes dw (cout×cin×3×3) = Gᵀ dU G from du[ξ·cout·cin + co·cin + ci].
func winoWeightGrad(dw, du []float32, cout, cin int) {
	plane := cout * cin
	for o := range plane {
		var d [16]float32
		for xi := range 16 {
			d[xi] = du[xi*plane+o]
		}
		// r = Gᵀ dU (3×4), then dg = r G (3×3).
		var r [12]float32
		for j := range 4 {
			d0, d1, d2, d3 := d[j], d[4+j], d[8+j], d[12+j]
			r[j] = d0 + (d1+d2)*0.5
			r[4+j] = (d1 - d2) * 0.5
			r[8+j] = (d1+d2)*0.5 + d3
		}
		k := dw[o*9 : o*9+9 : o*9+9]
		for a := range 3 {
			r0, r1, r2, r3 := r[4*a], r[4*a+1], r[4*a+2], r[4*a+3]
			k[3*a] = r0 + (r1+r2)*0.5
			k[3*a+1] = (r1 - r2) * 0.5
			k[3*a+2] = (r1+r2)*0.5 + r3
		}
	}
}

// The transforms work on one tile row at a time, vectorised over the
// tiles of the row (SIMD versions in winograd_amd64.s, the same
// arithmetic in Go below): each padded row is stored as its even columns
// followed by its odd ones, so that the columns 2j, 2j+1, 2j+2, 2j+3 of
// tile j are E[j], O[j], E[j+1], O[j+1], contiguous over j. Transformed
// tiles are written with row stride ld ≥ tiles + 8 (winoLd): a partly
// used last vector may write past the last tile of a row, into the next
// row (written after it) or that slack.

// winoSlack is the zero floats after padded planes, which a partly used
// last vector may read.
const winoSlack = 16

// winoLd is the row stride of transformed tiles for cols tiles.
func winoLd(cols int) int { return cols + 8 }

// winoRows are the transforms' kernels one GEMM kernel uses (its
// instruction set's, or Go's: winoGo), each over the tile rows of one
// channel; tile row r of tx tiles goes to out[ξ·vs + r·tx + j].
type winoRows struct {
	// input writes V = Bᵀ d B of nty tile rows; tile row r reads the 4
	// padded rows of sw values (even columns, then odd) at plane[2r·sw:].
	input func(out []float32, vs int, plane []float32, sw, tx, nty int)
	// output writes Aᵀ M A + bias of nty tile rows (M[ξ] of tile row r,
	// tile j at m[ξ·ms + r·tx + j]) to the oh×ow plane at the start of y.
	// It may write up to 15 values past the plane, when y goes on that
	// far: the caller then writes those values after it.
	output func(y, m []float32, ms int, bias float32, tx, nty, ow, oh int)
	// grad writes dM = A dY Aᵀ of nty tile rows, tile j of tile row r
	// having dY d00[q+j] d01[q+j] / d00[q+sw+j] d01[q+sw+j], q = 2r·sw
	// (rows of the padded, even/odd split dY).
	grad func(out []float32, vs int, d00, d01 []float32, sw, tx, nty int)
	// pad is winoGrid.pad's copy (winoPadGo).
	pad func(buf, src []float32, g *winoGrid, nc int)
}

var winoGo = &winoRows{winoInputGo, winoOutputGo, winoGradGo, winoPadGo}

func winoInputGo(out []float32, vs int, plane []float32, sw, tx, nty int) {
	for r := range nty {
		winoInputRowGo(out[r*tx:], vs, plane[2*r*sw:], sw, tx)
	}
}

func winoOutputGo(y, m []float32, ms int, bias float32, tx, nty, ow, oh int) {
	for r := range nty {
		y0 := y[2*r*ow : (2*r+1)*ow]
		var y1 []float32
		if 2*r+1 < oh {
			y1 = y[(2*r+1)*ow : (2*r+2)*ow]
		}
		winoOutputRowGo(y0, y1, m[r*tx:], ms, bias, tx, ow)
	}
}

func winoGradGo(out []float32, vs int, d00, d01 []float32, sw, tx, nty int) {
	for r := range nty {
		q := 2 * r * sw
		winoGradRowGo(out[r*tx:], vs, d00[q:], d01[q:], d00[q+sw:], d01[q+sw:], tx)
	}
}

// pad copies nc source planes (g.srcH×g.srcW each, at src) into zero
// planes of g.sh×g.sw at buf, each row as its even columns then its odd
// ones. Only the interior is written: the border stays zero from the call
// that made the buffer (fresh reports one).
func (g *winoGrid) pad(k *winoRows, buf, src []float32, nc int, fresh bool) {
	if fresh {
		clear(buf)
	}
	k.pad(buf, src, g, nc)
}

// winoPadGo is winoRows.pad in Go.
func winoPadGo(buf, src []float32, g *winoGrid, nc int) {
	pl, sp := g.planeLen(), g.srcH*g.srcW
	a, b := g.padOffsets()
	for c := range nc {
		p := buf[c*pl : (c+1)*pl]
		s := src[c*sp : (c+1)*sp]
		for y := range g.srcH {
			row := p[(g.top+y)*g.sw : (g.top+y+1)*g.sw]
			sr := s[y*g.srcW : (y+1)*g.srcW]
			ev, od := row[a:], row[b:]
			for i := 0; 2*i < len(sr); i++ {
				ev[i] = sr[2*i]
			}
			for i := 0; 2*i+1 < len(sr); i++ {
				od[i] = sr[2*i+1]
			}
		}
	}
}

// padOffsets: where in a padded row (even columns, then odd) the source
// row's even-indexed values go (a) and its odd-indexed ones (b).
func (g *winoGrid) padOffsets() (a, b int) {
	hw := g.sw / 2
	if g.left%2 == 0 {
		return g.left / 2, hw + g.left/2
	}
	return hw + g.left/2, (g.left + 1) / 2
}

// input writes V = Bᵀ d B of every tile of nc padded planes (at src, each
// g.planeLen() long): position ξ of channel c and tile t to
// v[ξ·vs + c·ld + t].
func (g *winoGrid) input(k *winoRows, v, src []float32, nc, vs, ld int) {
	for c := range nc {
		p := src[c*g.planeLen():] // to the end: the SIMD row may read into the slack
		k.input(v[c*ld:], vs, p, g.sw, g.tx, g.ty)
	}
}

// output writes Y = Aᵀ M A (+ bias) of every tile to nc planes of
// g.outH×g.outW at y, reading position ξ of channel c and tile t from
// m[ξ·ms + c·ld + t]. bias may be nil.
func (g *winoGrid) output(k *winoRows, y, m []float32, nc, ms, ld int, bias []float32) {
	oh, ow := g.outH, g.outW
	for c := range nc {
		var b0 float32
		if bias != nil {
			b0 = bias[c]
		}
		// y to the end of the image (the next planes are written after
		// this one), the last plane only its own values.
		k.output(y[c*oh*ow:nc*oh*ow], m[c*ld:], ms, b0, g.tx, g.ty, ow, oh)
	}
}

// gradOutput writes dM = A dY Aᵀ of every 2×2 tile of g (the forward
// grid) to dm[ξ·ms + c·ld + t], for nc planes of dY held padded in pp by
// the input gradient's grid b (cells beyond dY are its zeros).
func (g *winoGrid) gradOutput(k *winoRows, dm, pp []float32, b *winoGrid, nc, ms, ld int) {
	a0, b0 := b.padOffsets() // dY's even and odd columns
	for c := range nc {
		p := pp[c*b.planeLen()+b.top*b.sw:]
		k.grad(dm[c*ld:], ms, p[a0:], p[b0:], b.sw, g.tx, g.ty)
	}
}

func winoInputRowGo(out []float32, vs int, rows []float32, sw, tx int) {
	hw := sw / 2
	r := rows[:4*sw]
	E0, O0 := r[0:hw], r[hw:sw]
	E1, O1 := r[sw:sw+hw], r[sw+hw:2*sw]
	E2, O2 := r[2*sw:2*sw+hw], r[2*sw+hw:3*sw]
	E3, O3 := r[3*sw:3*sw+hw], r[3*sw+hw:4*sw]
	// Bᵀ d on the band's columns (e_i of even and odd columns), then · B
	// on each tile's four columns E[j], O[j], E[j+1], O[j+1].
	rowPass := func(j int) (e0, e1, e2, e3, o0, o1, o2, o3 float32) {
		return E0[j] - E2[j], E1[j] + E2[j], E2[j] - E1[j], E1[j] - E3[j],
			O0[j] - O2[j], O1[j] + O2[j], O2[j] - O1[j], O1[j] - O3[j]
	}
	pe0, pe1, pe2, pe3, po0, po1, po2, po3 := rowPass(0)
	for j := range tx {
		ne0, ne1, ne2, ne3, no0, no1, no2, no3 := rowPass(j + 1)
		for i, q := range [4][4]float32{{pe0, po0, ne0, no0}, {pe1, po1, ne1, no1}, {pe2, po2, ne2, no2}, {pe3, po3, ne3, no3}} {
			o := 4 * i * vs
			out[o+j] = q[0] - q[2]
			out[o+vs+j] = q[1] + q[2]
			out[o+2*vs+j] = q[2] - q[1]
			out[o+3*vs+j] = q[1] - q[3]
		}
		pe0, pe1, pe2, pe3, po0, po1, po2, po3 = ne0, ne1, ne2, ne3, no0, no1, no2, no3
	}
}

func winoOutputRowGo(y0, y1, m []float32, ms int, bias float32, tx, ow int) {
	for j := range tx {
		var s [8]float32
		// Aᵀ M: rows 0+1+2 and 1−2−3, column by column.
		for c := range 4 {
			m0, m1, m2, m3 := m[c*ms+j], m[(4+c)*ms+j], m[(8+c)*ms+j], m[(12+c)*ms+j]
			s[c] = m0 + m1 + m2
			s[4+c] = m1 - m2 - m3
		}
		// then · A: columns 0+1+2 and 1−2−3.
		x := 2 * j
		y0[x] = s[0] + s[1] + s[2] + bias
		if x+1 < ow {
			y0[x+1] = s[1] - s[2] - s[3] + bias
		}
		if y1 != nil {
			y1[x] = s[4] + s[5] + s[6] + bias
			if x+1 < ow {
				y1[x+1] = s[5] - s[6] - s[7] + bias
			}
		}
	}
}

func winoGradRowGo(out []float32, vs int, d00, d01, d10, d11 []float32, tx int) {
	for j := range tx {
		a0, b0, a1, b1 := d00[j], d01[j], d10[j], d11[j]
		// A dY: rows d0, d0+d1, d0−d1, −d1 (per column); then · Aᵀ the same
		// on the columns.
		for i, q := range [4][2]float32{{a0, b0}, {a0 + a1, b0 + b1}, {a0 - a1, b0 - b1}, {-a1, -b1}} {
			a, b := q[0], q[1]
			o := 4 * i * vs
			out[o+j] = a
			out[o+vs+j] = a + b
			out[o+2*vs+j] = a - b
			out[o+3*vs+j] = -b
		}
	}
}

// winoWorker is a worker's Winograd scratch.
type winoWorker struct {
	padF, padB []float32 // zero-bordered, even/odd-split source planes (forward, input gradient)
	v, m       []float32 // transformed tiles [ξ][channel][tile]: V (or dY's), and M (or dM)
}

// padded returns buf grown for nc planes of g (with slack), and whether
// its contents are new (borders not yet zero).
func (g *winoGrid) buffer(buf *[]float32, nc int) bool {
	n := nc*g.planeLen() + winoSlack
	fresh := len(*buf) != n
	*buf = grow(*buf, n)
	return fresh
}

// winoForward: Conv2d forward of images [n0, n0+cnt) through F(2×2, 3×3).
func (c *Conv) winoForward(ws *convWorker, n0, cnt int) {
	wp, g := c.wino, &c.wino.f
	cin, cout := wp.cin, wp.cout
	ww, k := &ws.wino, c.winoRows()
	cols := cnt * g.t
	ld := winoLd(cols)
	vs, ms := cin*ld, cout*ld
	ww.v = grow(ww.v, 16*vs)
	ww.m = grow(ww.m, 16*ms)
	fresh := g.buffer(&ww.padF, cin)
	inPlane := g.srcH * g.srcW
	for i := range cnt {
		g.pad(k, ww.padF, c.x[(n0+i)*cin*inPlane:], cin, fresh)
		fresh = false
		g.input(k, ww.v[i*g.t:], ww.padF, cin, vs, ld)
	}
	for xi := range 16 {
		var A panelSrc = &wp.su[xi]
		if c.usePW {
			A = &wp.pu[xi]
		}
		c.mm(ws, gemmCall{m: cout, n: cols, k: cin, A: A, B: c.dense(&ws.b, ww.v[xi*vs:], ld, true), c: ww.m[xi*ms:], ldc: ld})
	}
	outPlane := g.outH * g.outW
	for i := range cnt {
		g.output(k, c.y[(n0+i)*cout*outPlane:], ww.m[i*g.t:], cout, ms, ld, c.b)
	}
}

// winoBackward: Conv2d backward of images [n0, n0+cnt): dU += dM·Vᵀ per
// position (du, when the weight gradient is wanted) and dX by a Winograd
// convolution of dY.
func (c *Conv) winoBackward(ws *convWorker, n0, cnt int, du []float32) {
	wp := c.wino
	cin, cout := wp.cin, wp.cout
	ww, k := &ws.wino, c.winoRows()
	inPlane, outPlane := wp.f.srcH*wp.f.srcW, wp.f.outH*wp.f.outW
	f, b := &wp.f, &wp.b
	// dY of every image, padded for the input gradient's convolution: the
	// weight gradient reads its 2×2 tiles from there too.
	fresh := b.buffer(&ww.padB, c.nb*cout) // for nb images, so that its size stays put
	pb := cout * b.planeLen()
	for i := range cnt {
		b.pad(k, ww.padB[i*pb:], c.dy[(n0+i)*cout*outPlane:], cout, fresh)
		fresh = false
	}
	if du != nil {
		cols := cnt * f.t
		ld := winoLd(cols)
		vs, ms := cin*ld, cout*ld
		ww.v = grow(ww.v, 16*vs)
		ww.m = grow(ww.m, 16*ms)
		fresh := f.buffer(&ww.padF, cin)
		for i := range cnt {
			f.pad(k, ww.padF, c.x[(n0+i)*cin*inPlane:], cin, fresh)
			fresh = false
			f.input(k, ww.v[i*f.t:], ww.padF, cin, vs, ld)
			f.gradOutput(k, ww.m[i*f.t:], ww.padB[i*pb:], b, cout, ms, ld)
		}
		// dU[ξ] (cout×cin) += dM[ξ] (cout×cols) · V[ξ]ᵀ: both operands
		// are packed by transposing (their k, the tile, is innermost).
		for xi := range 16 {
			A := c.dense(&ws.a, ww.m[xi*ms:], ld, false)
			B := c.dense(&ws.b, ww.v[xi*vs:], ld, false)
			c.mm(ws, gemmCall{m: cout, n: cin, k: cols, A: A, B: B, c: du[xi*cout*cin:], ldc: cin, acc: true})
		}
	}
	if c.dx != nil {
		cols := cnt * b.t
		ld := winoLd(cols)
		vs, ms := cout*ld, cin*ld
		ww.v = grow(ww.v, 16*vs)
		ww.m = grow(ww.m, 16*ms)
		for i := range cnt {
			b.input(k, ww.v[i*b.t:], ww.padB[i*pb:], cout, vs, ld)
		}
		for xi := range 16 {
			var A panelSrc = &wp.sub[xi]
			if c.usePW {
				A = &wp.pub[xi]
			}
			c.mm(ws, gemmCall{m: cin, n: cols, k: cout, A: A, B: c.dense(&ws.b, ww.v[xi*vs:], ld, true), c: ww.m[xi*ms:], ldc: ld})
		}
		for i := range cnt {
			b.output(k, c.dx[(n0+i)*cin*inPlane:], ww.m[i*b.t:], cin, ms, ld, nil)
		}
	}
}

// winoRows is the row kernels that go with the Conv's GEMM kernel.
func (c *Conv) winoRows() *winoRows {
	if c.kern.winoRows != nil {
		return c.kern.winoRows
	}
	return winoGo
}

// winoPrepare transforms the weights of the call in progress: U for the
// forward pass (turned false) or for the input gradient (turned true),
// packed once for all images when the batch has more than one.
func (c *Conv) winoPrepare(w []float32, turned bool) {
	wp := c.wino
	plane := wp.cin * wp.cout
	u, src, pk, m, k := &wp.u, &wp.su, &wp.pu, wp.cout, wp.cin
	if turned {
		u, src, pk, m, k = &wp.ub, &wp.sub, &wp.pub, wp.cin, wp.cout
	}
	*u = grow(*u, 16*plane)
	winoWeights(*u, w, wp.cout, wp.cin, turned)
	for xi := range 16 {
		c.dense(&src[xi], (*u)[xi*plane:(xi+1)*plane], k, false)
		if c.usePW {
			pk[xi].prepare(c.kern, &src[xi], m, k)
		}
	}
}

// winoColsTarget is about how many tile columns a Winograd GEMM gets with
// the SIMD transforms (the images of a group times the tiles of one): 196
// for the 14×14 layer, four images, which measured 5% faster than two (the
// working set, about 1.3 MB, still fits a 2 MB L2); half that with Go's.
var winoColsTarget = 200
