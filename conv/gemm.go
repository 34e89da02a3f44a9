package conv

import (
	"fmt"
	"os"
	"strings"
	"sync"
)

// A packed, blocked single-precision GEMM in the style of BLIS/GotoBLAS:
// A and B are copied ("packed") into panels the micro-kernel streams through
// contiguously, and a small register-blocked micro-kernel computes one
// mr×nr tile of C at a time. The micro-kernel is the only part that differs
// between CPUs (portable Go, AVX-512 assembly, ...); packing and blocking are
// shared, so every kernel sees exactly the same arithmetic order per tile.

// gemmKernel is one micro-kernel with its tile shape.
type gemmKernel struct {
	name   string
	mr, nr int
	// micro computes the mr×nr tile C = Ap·Bp (acc false) or C += Ap·Bp
	// (acc true), where ap holds kc×mr values (column p of the A panel at
	// ap[p*mr:]) and bp holds kc×nr values (row p of the B panel at
	// bp[p*nr:]). C has row stride ldc; kc ≥ 1.
	micro func(kc int, ap, bp, c []float32, ldc int, acc bool)
	// gather and addRows are the im2col/col2im helpers to use with this
	// kernel (nil: pure Go).
	gather  gatherFunc
	panel   gatherPanelFunc
	addRows addRowsFunc
	packT   packTFunc
	// copyPanel packs rows of a row-major matrix, dst[r*w+l] = a[r*ld+l]
	// for r < n, l < w, if it supports w.
	copyPanel copyPanelFunc
	// winograd: 3×3 layers that qualify (winoEligible) run through
	// Winograd F(2×2, 3×3) with this kernel; false where the transforms
	// cost more than the multiplications they save.
	winograd bool
	// winoRows are the Winograd transforms' row kernels to use with it
	// (nil: Go's).
	winoRows *winoRows
	// direct, if set, convolves a single input channel without im2col
	// (direct.go).
	direct *directKernel
	// edge, if set, is a kernel with the same mr and a narrower nr, used
	// for the last column panel when it is no wider than edge.nr (less
	// work wasted on padding columns, e.g. 196 = 6·32 + 4); it may have an
	// edge of its own.
	edge *gemmKernel
}

// panelKernel is the kernel for a column panel nn wide.
func (k *gemmKernel) panelKernel(nn int) *gemmKernel {
	for k.edge != nil && nn <= k.edge.nr {
		k = k.edge
	}
	return k
}

// packTFunc packs a transposed block, dst[i*w+o] = a[o*ld+i] for o < on,
// i < ic, zero for o in [on, w), and reports whether it did (it may decline
// shapes it has no fast path for).
type packTFunc func(dst, a []float32, ld, w, on, ic int) bool

// copyPanelFunc: dst[r*w+l] = a[r*ld+l] for r < n, l < w; false if it
// does not support w.
type copyPanelFunc func(dst, a []float32, ld, w, n int) bool

// Blocking sizes: a kc×nr B micro-panel should stay in L1, an mc×kc block
// of packed A in L2, a kc×nc block of packed B in L2/L3.
const (
	gemmKC = 256
	gemmMC = 96
	gemmNC = 2048
)

// gemmWS is the scratch a GEMM call needs; keep one per goroutine so that
// steady-state calls allocate nothing.
type gemmWS struct {
	ap, bp, ct []float32
	da, db     denseSrc // operands of gemmDense
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// panelSrc is a GEMM operand that packs itself. Elements are addressed
// (outer, inner): for A, outer is the row of op(A) and inner the k index;
// for B, outer is the column of op(B) and inner the k index. Packing from
// the operand's own layout lets the convolution build its im2col panels
// straight from the (padded) image, never writing the column matrix.
type panelSrc interface {
	// pack writes outer [o0, o0+on) × inner [i0, i0+ic) into dst as ic rows
	// of w values, dst[(i-i0)*w + (o-o0)], zero for o-o0 in [on, w).
	pack(dst []float32, w, o0, on, i0, ic int)
}

// denseSrc is a row-major matrix: element (outer, inner) is
// a[inner*ld+outer] when innerMajor, else a[outer*ld+inner]. With extra ≥ 0
// the inner index extra is an added row/column: extraVals[outer], or 1 when
// extraVals is nil (how a bias joins the GEMM).
type denseSrc struct {
	a          []float32
	ld         int
	innerMajor bool
	extra      int
	extraVals  []float32
	packT      packTFunc     // optional fast path for !innerMajor
	copyPanel  copyPanelFunc // optional fast path for innerMajor
}

func (s *denseSrc) pack(dst []float32, w, o0, on, i0, ic int) {
	n := ic // rows of real data
	if s.extra >= 0 && s.extra < i0+ic {
		n = s.extra - i0
	}
	if s.innerMajor {
		if on == w && s.copyPanel != nil && n > 0 && s.copyPanel(dst[:n*w], s.a[i0*s.ld+o0:], s.ld, w, n) {
			goto extra
		}
		for i := range n {
			src := s.a[(i0+i)*s.ld+o0 : (i0+i)*s.ld+o0+on]
			d := dst[i*w : i*w+w]
			copy(d, src)
			clear(d[on:])
		}
	} else if (s.packT == nil || !s.packT(dst, s.a[o0*s.ld+i0:], s.ld, w, on, n)) && !packTNarrow(dst, s.a[o0*s.ld+i0:], s.ld, w, on, n) {
		for o := range on {
			src := s.a[(o0+o)*s.ld+i0 : (o0+o)*s.ld+i0+n]
			for i, v := range src {
				dst[i*w+o] = v
			}
		}
		if on < w {
			for i := range n {
				clear(dst[i*w+on : i*w+w])
			}
		}
	}
extra:
	if n < ic {
		d := dst[n*w : n*w+w]
		if s.extraVals != nil {
			copy(d, s.extraVals[o0:o0+on])
		} else {
			fill(d[:on], 1)
		}
		clear(d[on:])
	}
}

// packTNarrow is the transposing pack (a packTFunc) of full panels 2, 4
// or 6 wide in Go (the portable and AVX2 kernels' A panels): the rows are
// read in step and each destination row written whole, rather than one
// strided column at a time.
func packTNarrow(dst, a []float32, ld, w, on, ic int) bool {
	if on != w || ic <= 0 {
		return false
	}
	switch w {
	case 2:
		r0, r1 := a[:ic], a[ld:ld+ic]
		dst = dst[:2*ic]
		for i, v := range r0 {
			d := dst[2*i : 2*i+2 : 2*i+2]
			d[0], d[1] = v, r1[i]
		}
	case 4:
		r0, r1, r2, r3 := a[:ic], a[ld:ld+ic], a[2*ld:2*ld+ic], a[3*ld:3*ld+ic]
		dst = dst[:4*ic]
		for i, v := range r0 {
			d := dst[4*i : 4*i+4 : 4*i+4]
			d[0], d[1], d[2], d[3] = v, r1[i], r2[i], r3[i]
		}
	case 6:
		r0, r1, r2 := a[:ic], a[ld:ld+ic], a[2*ld:2*ld+ic]
		r3, r4, r5 := a[3*ld:3*ld+ic], a[4*ld:4*ld+ic], a[5*ld:5*ld+ic]
		dst = dst[:6*ic]
		for i, v := range r0 {
			d := dst[6*i : 6*i+6 : 6*i+6]
			d[0], d[1], d[2], d[3], d[4], d[5] = v, r1[i], r2[i], r3[i], r4[i], r5[i]
		}
	default:
		return false
	}
	return true
}

// gemmDense computes C = op(A)·op(B), or C += op(A)·op(B) when acc is true,
// where op(A) is m×k and op(B) is k×n, every matrix row-major. When tA is
// true A is stored as k×m (row stride lda) and used transposed; otherwise
// as m×k. Likewise tB: B stored n×k when true, k×n otherwise. C is m×n with
// row stride ldc.
func (ws *gemmWS) gemmDense(kern *gemmKernel, tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	ws.da = denseSrc{a: a, ld: lda, innerMajor: tA, extra: -1, packT: kern.packT, copyPanel: kern.copyPanel}
	ws.db = denseSrc{a: b, ld: ldb, innerMajor: !tB, extra: -1, packT: kern.packT, copyPanel: kern.copyPanel}
	ws.gemm(kern, m, n, k, &ws.da, 0, &ws.db, 0, c, ldc, acc)
}

// gemm computes C = A·B (or C += A·B when acc) for the rows [ia, ia+m) of A
// and the columns [jb, jb+n) of B, with inner dimension k. C is m×n with
// row stride ldc.
func (ws *gemmWS) gemm(kern *gemmKernel, m, n, k int, A panelSrc, ia int, B panelSrc, jb int, c []float32, ldc int, acc bool) {
	if m <= 0 || n <= 0 {
		return
	}
	if k <= 0 {
		if !acc {
			for i := range m {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	mr, nr := kern.mr, kern.nr
	ncb := max(gemmNC/nr, 1) * nr // column block: whole panels
	ncMax := min(ncb, roundUp(n, nr))
	kcMax := min(gemmKC, k)
	mcMax := min(roundUp(gemmMC, mr), roundUp(m, mr))
	ws.bp = grow(ws.bp, kcMax*ncMax)
	ws.ap = grow(ws.ap, kcMax*mcMax)
	ws.ct = grow(ws.ct, mr*nr)
	pa, _ := A.(*packedA)
	if pa != nil && (pa.kern != kern || ia != 0 || m != pa.m || k != pa.k) {
		pa = nil // packed for another call: A.pack still serves
	}
	for jc := 0; jc < n; jc += ncb {
		nc := min(ncb, n-jc)
		for pc := 0; pc < k; pc += gemmKC {
			kc := min(gemmKC, k-pc)
			accBlock := acc || pc > 0
			for j0 := 0; j0 < nc; j0 += nr {
				nn := min(nr, nc-j0)
				w := kern.panelKernel(nn).nr
				B.pack(ws.bp[j0*kc:j0*kc+kc*w], w, jb+jc+j0, nn, pc, kc)
			}
			for ic := 0; ic < m; ic += mcMax {
				mc := min(mcMax, m-ic)
				ap := ws.ap
				if pa != nil {
					ap = pa.block(pc, ic, kc)
				} else {
					for i0 := 0; i0 < mc; i0 += mr {
						A.pack(ws.ap[i0*kc:i0*kc+kc*mr], mr, ia+ic+i0, min(mr, mc-i0), pc, kc)
					}
				}
				ws.macro(kern, ap, mc, nc, kc, c[ic*ldc+jc:], ldc, accBlock)
			}
		}
	}
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// macro runs the micro-kernel over an mc×nc block of C from packed panels.
func (ws *gemmWS) macro(kern *gemmKernel, apBlock []float32, mc, nc, kc int, c []float32, ldc int, acc bool) {
	mr := kern.mr
	ct := ws.ct
	for j0 := 0; j0 < nc; j0 += kern.nr {
		nn := min(kern.nr, nc-j0)
		k := kern.panelKernel(nn)
		nr := k.nr
		bp := ws.bp[j0*kc : j0*kc+kc*nr]
		for i0 := 0; i0 < mc; i0 += mr {
			mm := min(mr, mc-i0)
			ap := apBlock[i0*kc : i0*kc+kc*mr]
			if mm == mr && nn == nr {
				k.micro(kc, ap, bp, c[i0*ldc+j0:], ldc, acc)
				continue
			}
			k.micro(kc, ap, bp, ct, nr, false)
			for i := range mm {
				dst := c[(i0+i)*ldc+j0 : (i0+i)*ldc+j0+nn]
				src := ct[i*nr : i*nr+nn]
				if acc {
					for j, v := range src {
						dst[j] += v
					}
				} else {
					copy(dst, src)
				}
			}
		}
	}
}

// packedA is an A operand packed once, for many GEMMs with the same
// kernel, m and k (a convolution's weights, the same for every image of a
// batch): gemm then reads its panels in place instead of packing A again
// for each image. Elsewhere (other sizes, a block of rows) it packs from
// the source it was made from.
type packedA struct {
	src  panelSrc
	kern *gemmKernel
	m, k int
	buf  []float32
}

// prepare packs src (m×k as an A operand) in gemm's blocking for kern:
// the block (pc, ic) is kc×roundUp(mc, mr) values at pc·roundUp(m, mr) +
// ic·kc, panels of mr rows at i0·kc within it.
func (p *packedA) prepare(kern *gemmKernel, src panelSrc, m, k int) {
	p.src, p.kern, p.m, p.k = src, kern, m, k
	mr := kern.mr
	mcMax := min(roundUp(gemmMC, mr), roundUp(m, mr))
	p.buf = grow(p.buf, roundUp(m, mr)*k)
	for pc := 0; pc < k; pc += gemmKC {
		kc := min(gemmKC, k-pc)
		for ic := 0; ic < m; ic += mcMax {
			mc := min(mcMax, m-ic)
			blk := p.block(pc, ic, kc)
			for i0 := 0; i0 < mc; i0 += mr {
				src.pack(blk[i0*kc:i0*kc+kc*mr], mr, ic+i0, min(mr, mc-i0), pc, kc)
			}
		}
	}
}

func (p *packedA) block(pc, ic, kc int) []float32 {
	off := pc*roundUp(p.m, p.kern.mr) + ic*kc
	return p.buf[off : off+kc*min(roundUp(p.m-ic, p.kern.mr), roundUp(gemmMC, p.kern.mr))]
}

func (p *packedA) pack(dst []float32, w, o0, on, i0, ic int) { p.src.pack(dst, w, o0, on, i0, ic) }

// fill sets every element of s to v.
func fill(s []float32, v float32) {
	if len(s) == 0 {
		return
	}
	s[0] = v
	for n := 1; n < len(s); n *= 2 {
		copy(s[n:], s[:n])
	}
}

// portableKernel is pure Go, for CPUs without a faster kernel (and as the
// reference the SIMD kernels are tested against). Its 2×4 tile is what
// measured fastest (BenchmarkGEMM, amd64 with -tags purego): the compiler
// keeps the 8 sums, 2 values of A and 4 of B in registers, where a 4×4
// tile spills sums to the stack on CPUs with 16 floating-point registers
// (amd64, 386, wasm, arm) and ran at half the speed.
var portableKernel = &gemmKernel{name: "portable", mr: 2, nr: 4, micro: micro2x4, winograd: true}

// micro2x4 keeps the 8 sums in registers.
func micro2x4(kc int, ap, bp, c []float32, ldc int, acc bool) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	ap = ap[:kc*2]
	bp = bp[:kc*4]
	for p := range kc {
		a := ap[2*p : 2*p+2 : 2*p+2]
		b := bp[4*p : 4*p+4 : 4*p+4]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		a0, a1 := a[0], a[1]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
	}
	r0 := c[0:4:4]
	r1 := c[ldc : ldc+4 : ldc+4]
	if acc {
		r0[0], r0[1], r0[2], r0[3] = r0[0]+c00, r0[1]+c01, r0[2]+c02, r0[3]+c03
		r1[0], r1[1], r1[2], r1[3] = r1[0]+c10, r1[1]+c11, r1[2]+c12, r1[3]+c13
		return
	}
	r0[0], r0[1], r0[2], r0[3] = c00, c01, c02, c03
	r1[0], r1[1], r1[2], r1[3] = c10, c11, c12, c13
}

// gemmKernels lists the kernels usable on this CPU, portable first and the
// fastest last; bestKernel is what New picks.
var gemmKernels = []*gemmKernel{portableKernel}

// extraKernels are further kernels this CPU runs that New never picks
// (other tile shapes, kept for BenchmarkGEMM and TestGemmKernels).
var extraKernels []*gemmKernel

// bestKernel is the kernel New uses: the fastest this CPU runs, unless
// the environment variable CONVLAB_GEMM names another one (portable, avx2,
// avx512, neon), for measuring a slower instruction set on a faster CPU
// (make bench-torch prints the table for each). A name this CPU cannot run
// is reported on stderr once and the fastest kernel used instead.
func bestKernel() *gemmKernel { return chosenKernel() }

var chosenKernel = sync.OnceValue(func() *gemmKernel {
	k, err := kernelByName(os.Getenv("CONVLAB_GEMM"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "convlab: %v; using %s\n", err, k.name)
	}
	return k
})

// kernelByName is the kernel called name among gemmKernels (the fastest
// for ""), or the fastest and an error if this CPU has none of that name.
func kernelByName(name string) (*gemmKernel, error) {
	best := gemmKernels[len(gemmKernels)-1]
	if name == "" {
		return best, nil
	}
	var names []string
	for _, k := range gemmKernels {
		if k.name == name {
			return k, nil
		}
		names = append(names, k.name)
	}
	return best, fmt.Errorf("CONVLAB_GEMM=%s: no such kernel on this CPU (it has %s)", name, strings.Join(names, ", "))
}

// clockCycles, where the architecture has it, runs a loop of a known
// number of core clock cycles (about n·8) and returns that number; nil
// elsewhere. Only the GEMM benchmark uses it.
var clockCycles func(n int) int
