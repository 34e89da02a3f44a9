package conv

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Conv runs one Geometry with the fastest kernels this CPU has, reusing its
// scratch buffers between calls so a training step allocates nothing in
// steady state. A Conv is not safe for concurrent use; make one per
// goroutine (they are cheap until first used).
//
// Its results equal ForwardNaive / BackwardNaive within float32 rounding
// (the tests hold every path to 1e-4 relative against PyTorch).
//
// How it works: im2col lowers each image (and group) to a matrix whose
// columns are the kernel windows (padding modes, stride and dilation are
// resolved there, see colPlan), and one GEMM does the arithmetic:
//
//	Conv2d forward          Y  = W · col(X)            (+ bias)
//	Conv2d backward         dW += dY · col(X)ᵀ,  dX = col2im(Wᵀ · dY)
//	ConvTranspose2d forward Y  = col2im(Wᵀ · X)        (+ bias)
//	ConvTranspose2d backward dX = W · col(dY),   dW += X · col(dY)ᵀ
//
// Batches are split between Workers goroutines; a single image splits its
// GEMMs instead.
//
// For tests: the unexported field kern selects the GEMM micro-kernel and,
// with it, the packing helpers (gathers, transposes, row adds) of that
// instruction set. New picks the fastest this CPU supports; every kernel
// usable here is listed in gemmKernels (portableKernel first: pure Go for
// everything). To check the portable path on a CPU that has a SIMD kernel,
// set it after New:
//
//	c := New(g)
//	c.kern = portableKernel // or range over gemmKernels
type Conv struct {
	G *Geometry
	// Workers is the number of goroutines a call may use; 0 means GOMAXPROCS.
	Workers int
	// Epilogue, if not nil, is called by Forward with an image's index
	// once that image's output is complete; Prologue by Backward with an
	// image's index before any of that image's gradients are computed
	// (so it may write the image's part of dy). Each runs on the goroutine
	// that does the image, and calls for different images may run at the
	// same time. They let the neighbouring layer work on one image while
	// its data is still in cache: the MNIST network max-pools each image's
	// output in Epilogue and routes the pooled gradient back in Prologue,
	// instead of two more passes over the whole batch through memory.
	Epilogue, Prologue func(ni int)

	kern *gemmKernel
	plan *colPlan
	ws   []*convWorker
	wg   sync.WaitGroup

	// The call in progress, read by the workers.
	n                          int
	splitGemm                  bool
	next                       atomic.Int64 // next image (backward: chunk) to take; workers share out work dynamically
	nch                        int          // backward: number of image chunks
	chunkDW                    [][]float32  // backward: weight gradient of chunks 1.. (chunk 0 uses dw)
	chunkDB                    [][]float64  // backward: bias gradient per chunk
	x, w, b, y, dx, dw, db, dy []float32
	gm                         gemmCall
	// The weights as the A operand, packed once per call for all images
	// (Groups 1, Conv2d): W with the bias column for Forward, Wᵀ for dX.
	pw    packedA
	pwSrc denseSrc
	usePW bool
	// wino is the Winograd F(2×2, 3×3) state when the geometry takes that
	// path (winoEligible); nb is the call's images per Winograd GEMM.
	wino *winoPlan
	nb   int
	// direct: Forward takes the direct kernel of one input channel
	// (directEligible); dwt are the call's weights laid out for it.
	direct bool
	dwt    []float32
}

// convWorker is one goroutine's scratch.
type convWorker struct {
	gemm   gemmWS
	col    []float32 // a column matrix (the output of Wᵀ·dY or Wᵀ·X)
	pp     []float32 // padded planes of one image (group), im2col's source
	ppPlan *colPlan  // set when pp holds zero-padded planes of this plan (borders still zero)
	pc     []float32 // padded planes col2im scatters into
	a, b   denseSrc  // GEMM operands
	im, it im2colSrc // the column matrix as operand: positions outer / taps outer
	wino   winoWorker
}

// padded copies src (one image or group) into ws.pp through p's padding
// and returns the planes. With zero padding the border cells stay zero
// from one call to the next (col2im uses ws.pc), so after the first image
// only the interior is copied.
func (ws *convWorker) padded(p *colPlan, src []float32) []float32 {
	n := p.padLen()
	if p.zeros && ws.ppPlan == p && len(ws.pp) == n {
		p.padInterior(ws.pp, src)
		return ws.pp
	}
	ws.pp = grow(ws.pp, n)
	p.pad(ws.pp, src)
	ws.ppPlan = nil
	if p.zeros {
		ws.ppPlan = p
	}
	return ws.pp
}

// gemmCall is C (m×n, row stride ldc) = A·B (+ C when acc), inner size k.
type gemmCall struct {
	m, n, k int
	A, B    panelSrc
	c       []float32
	ldc     int
	acc     bool
}

func (c *Conv) dense(d *denseSrc, a []float32, ld int, innerMajor bool) *denseSrc {
	*d = denseSrc{a: a, ld: ld, innerMajor: innerMajor, extra: -1, packT: c.kern.packT, copyPanel: c.kern.copyPanel}
	return d
}

const (
	opForward uint8 = iota
	opBackward
	opGemm
)

// Work thresholds (multiply-adds) below which a call stays on one goroutine
// (variables so that tests can force every parallel path).
var (
	minParallelMACs = 1 << 16
	minSplitGemm    = 1 << 18
)

// New returns a Conv for g.
func New(g *Geometry) *Conv { return &Conv{G: g, kern: bestKernel()} }

func (c *Conv) setup(nw int) {
	if c.kern == nil {
		c.kern = bestKernel()
	}
	g := c.G
	if c.plan == nil {
		kh, kw := g.KernelSize[0], g.KernelSize[1]
		if g.Transposed {
			c.plan = newColPlan(g.OutChannels/g.Groups, kh, kw, g.OutH, g.OutW, g.InH, g.InW,
				g.Stride[0], g.Stride[1], g.Dilation[0], g.Dilation[1], g.PadTop, g.PadLeft, Zeros)
		} else {
			c.plan = newColPlan(g.InChannels/g.Groups, kh, kw, g.InH, g.InW, g.OutH, g.OutW,
				g.Stride[0], g.Stride[1], g.Dilation[0], g.Dilation[1], g.PadTop, g.PadLeft, g.PaddingMode)
			if winoEligible(g) && (c.kern.winograd || winoAllKernels) {
				c.wino = newWinoPlan(g, c.kern)
			}
			c.direct = directEnabled && directEligible(g, c.kern)
		}
	}
	for len(c.ws) < nw {
		c.ws = append(c.ws, &convWorker{})
	}
}

func (c *Conv) maxWorkers() int {
	if c.Workers > 0 {
		return c.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// plan the parallelism of a call on n images: nw goroutines over images,
// or (for fewer images than workers) GEMMs split between workers.
func (c *Conv) schedule(n int) (nw int, splitGemm bool) {
	maxW := c.maxWorkers()
	macs := c.G.MACs()
	if maxW <= 1 || macs*n < minParallelMACs {
		return 1, false
	}
	if n >= maxW {
		return maxW, false
	}
	if n > 1 && n*2 >= maxW {
		return n, false
	}
	return 1, macs >= minSplitGemm
}

// Forward computes y = conv(x, w) + b for a batch of n; shapes as for
// ForwardNaive. y is overwritten.
func (c *Conv) Forward(y, x, w, b []float32, n int) {
	g := c.G
	checkLens(g, n, x, w, b, y)
	if x == nil || w == nil || y == nil {
		panic("conv: nil input, weight or output")
	}
	if n == 0 {
		return
	}
	if c.isFC() || c.huge() {
		if c.isFC() {
			c.forwardFC(y, x, w, b, n)
		} else {
			ForwardNaive(g, y, x, w, b, n)
		}
		if c.Epilogue != nil {
			for ni := range n {
				c.Epilogue(ni)
			}
		}
		return
	}
	nw, split := c.schedule(n)
	c.setup(max(nw, c.maxWorkers()))
	c.n, c.splitGemm = n, split
	c.x, c.w, c.b, c.y = x, w, b, y
	if c.wino != nil {
		c.usePW = n > 1
		c.winoPrepare(w, false)
		c.nb = c.wino.batch(n, nw)
	} else if c.direct {
		c.usePW = false
		c.directPrepare(w, b)
	} else if c.usePW = g.Groups == 1 && !g.Transposed && n > 1; c.usePW {
		K := c.plan.rows()
		A := c.dense(&c.pwSrc, w, K, false)
		k := K
		if b != nil {
			k++
			A.extra, A.extraVals = K, b
		}
		c.pw.prepare(c.kern, A, g.OutChannels, k)
	}
	c.next.Store(0)
	c.parallel(opForward, nw)
	c.clearArgs()
}

// huge reports a geometry whose padded planes or column matrix would not
// fit the fast path's 32-bit offsets (far beyond anything convlab serves);
// such calls go to the naive code.
func (c *Conv) huge() bool {
	g := c.G
	kh, kw := g.KernelSize[0], g.KernelSize[1]
	ch, gh, gw := g.InChannels/g.Groups, g.OutH, g.OutW
	if g.Transposed {
		ch, gh, gw = g.OutChannels/g.Groups, g.InH, g.InW
	}
	ph := int64(gh-1)*int64(g.Stride[0]) + int64(kh-1)*int64(g.Dilation[0]) + 1
	pw := int64(gw-1)*int64(g.Stride[1]) + int64(kw-1)*int64(g.Dilation[1]) + 1
	const lim = 1<<31 - 1
	return int64(ch)*ph*pw >= lim || int64(ch*kh*kw)*int64(gh*gw) >= lim
}

// isFC: a 1×1 convolution of a 1×1 input is a fully connected layer
// (how the MNIST network runs its Linear layer); the whole batch is then
// one GEMM instead of one tiny GEMM per image.
func (c *Conv) isFC() bool {
	g := c.G
	return !g.Transposed && g.Groups == 1 && g.InH == 1 && g.InW == 1 && g.OutH == 1 && g.OutW == 1 &&
		g.KernelSize == [2]int{1, 1} && g.PadTop == 0 && g.PadLeft == 0
}

// forwardFC: Y (n×O) = [X 1] (n×(C+1)) · [Wᵀ; b] ((C+1)×O).
func (c *Conv) forwardFC(y, x, w, b []float32, n int) {
	C, O := c.G.InChannels, c.G.OutChannels
	c.setup(c.maxWorkers())
	ws := c.ws[0]
	c.splitGemm = c.maxWorkers() > 1
	A := c.dense(&ws.a, x, C, false)
	B := c.dense(&ws.b, w, C, false)
	k := C
	if b != nil {
		k++
		A.extra = C
		B.extra, B.extraVals = C, b
	}
	c.mm(ws, gemmCall{m: n, n: O, k: k, A: A, B: B, c: y, ldc: O})
	c.clearArgs()
}

// backwardFC: dX = dY·W, dW = dYᵀ·X, db = column sums of dY.
func (c *Conv) backwardFC(dx, dw, db, dy, x, w []float32, n int) {
	C, O := c.G.InChannels, c.G.OutChannels
	c.setup(c.maxWorkers())
	ws := c.ws[0]
	c.splitGemm = c.maxWorkers() > 1
	if dx != nil {
		c.mm(ws, gemmCall{m: n, n: C, k: O, A: c.dense(&ws.a, dy, O, false), B: c.dense(&ws.b, w, C, true), c: dx, ldc: C})
	}
	if dw != nil {
		c.mm(ws, gemmCall{m: O, n: C, k: n, A: c.dense(&ws.a, dy, O, true), B: c.dense(&ws.b, x, C, true), c: dw, ldc: C})
	}
	if db != nil {
		if len(c.chunkDB) == 0 {
			c.chunkDB = append(c.chunkDB, make([]float64, O))
		}
		acc := c.chunkDB[0]
		clear(acc)
		for i := range n {
			for o, v := range dy[i*O : i*O+O] {
				acc[o] += float64(v)
			}
		}
		for o := range db {
			db[o] = float32(acc[o])
		}
	}
	c.clearArgs()
}

// Backward computes dx, dw and db (each may be nil; all are overwritten)
// from dy; shapes as for BackwardNaive.
func (c *Conv) Backward(dx, dw, db, dy, x, w []float32, n int) {
	g := c.G
	checkLens(g, n, x, w, db, dy)
	checkLens(g, n, dx, dw, nil, nil)
	if dy == nil || (dw != nil && x == nil) || (dx != nil && w == nil) {
		panic("conv: backward is missing an operand")
	}
	if n == 0 {
		clear(dw)
		clear(db)
		return
	}
	if c.isFC() || c.huge() {
		if c.Prologue != nil {
			for ni := range n {
				c.Prologue(ni)
			}
		}
		if c.isFC() {
			c.backwardFC(dx, dw, db, dy, x, w, n)
		} else {
			BackwardNaive(g, dx, dw, db, dy, x, w, n)
		}
		return
	}
	nw, split := c.schedule(n)
	c.setup(max(nw, c.maxWorkers()))
	c.n, c.splitGemm = n, split
	c.x, c.w, c.dx, c.dw, c.db, c.dy = x, w, dx, dw, db, dy
	if c.wino != nil {
		c.usePW = dx != nil && n > 1
		if dx != nil {
			c.winoPrepare(w, true)
		}
	} else if c.usePW = dx != nil && g.Groups == 1 && !g.Transposed && n > 1; c.usePW {
		K := c.plan.rows()
		c.pw.prepare(c.kern, c.dense(&c.pwSrc, w, K, true), K, g.OutChannels)
	}
	c.nch = 1
	if nw > 1 {
		c.nch = min(n, 2*nw)
	}
	for len(c.chunkDB) < c.nch {
		c.chunkDB = append(c.chunkDB, make([]float64, g.OutChannels))
	}
	if c.wino != nil {
		c.nb = c.wino.batch((n+c.nch-1)/c.nch, 1)
		if dw != nil {
			for len(c.wino.du) < c.nch {
				c.wino.du = append(c.wino.du, make([]float32, 16*g.InChannels*g.OutChannels))
			}
		}
	} else if dw != nil {
		for len(c.chunkDW) < c.nch-1 {
			c.chunkDW = append(c.chunkDW, make([]float32, len(dw)))
		}
	}
	c.next.Store(0)
	c.parallel(opBackward, nw)
	// Reduce the per-chunk partial gradients, in order.
	if dw != nil && c.wino != nil {
		du := c.wino.du
		for _, p := range du[1:c.nch] {
			addTo(du[0], p)
		}
		winoWeightGrad(dw, du[0], g.OutChannels, g.InChannels)
	} else if dw != nil {
		for _, p := range c.chunkDW[:c.nch-1] {
			addTo(dw, p)
		}
	}
	if db != nil {
		acc := c.chunkDB[0]
		for _, p := range c.chunkDB[1:c.nch] {
			for j, v := range p {
				acc[j] += v
			}
		}
		for j := range db {
			db[j] = float32(acc[j])
		}
	}
	c.clearArgs()
}

func (c *Conv) clearArgs() {
	c.x, c.w, c.b, c.y, c.dx, c.dw, c.db, c.dy = nil, nil, nil, nil, nil, nil, nil, nil
	c.gm = gemmCall{}
	c.usePW, c.pwSrc, c.pw.src = false, denseSrc{}, nil
}

// nextImage hands out the images of a call one at a time, so a worker
// that shares its core with another process does not hold the others up.
func (c *Conv) nextImage() int { return int(c.next.Add(1) - 1) }

// run is one worker's share (index i of nw) of the call in progress.
func (c *Conv) run(op uint8, i, nw int) {
	ws := c.ws[i]
	switch op {
	case opGemm:
		c.runGemmPart(ws, i, nw)
		return
	case opForward:
		if c.wino != nil {
			for q := c.nextImage(); q*c.nb < c.n; q = c.nextImage() {
				n0 := q * c.nb
				cnt := min(c.nb, c.n-n0)
				c.winoForward(ws, n0, cnt)
				if c.Epilogue != nil {
					for ni := n0; ni < n0+cnt; ni++ {
						c.Epilogue(ni)
					}
				}
			}
			return
		}
		for ni := c.nextImage(); ni < c.n; ni = c.nextImage() {
			if c.direct {
				c.forwardDirect(ws, ni)
			} else if c.G.Transposed {
				c.forwardTransposed(ws, ni)
			} else {
				c.forward(ws, ni)
			}
			if c.Epilogue != nil {
				c.Epilogue(ni)
			}
		}
	case opBackward:
		// Chunks of images, each with its own gradient accumulator, taken
		// dynamically but reduced in a fixed order: the result does not
		// depend on which worker ran which chunk (training stays
		// reproducible).
		g := c.G
		plane := g.OutH * g.OutW
		sumDB := func(db []float64, ni int) {
			for oc := range g.OutChannels {
				off := (ni*g.OutChannels + oc) * plane
				db[oc] += sum64(c.dy[off : off+plane])
			}
		}
		for q := c.nextImage(); q < c.nch; q = c.nextImage() {
			lo, hi := q*c.n/c.nch, (q+1)*c.n/c.nch
			if c.wino != nil {
				var du []float32
				if c.dw != nil {
					du = c.wino.du[q]
					clear(du)
				}
				db := c.chunkDB[q]
				clear(db)
				for n0 := lo; n0 < hi; n0 += c.nb {
					cnt := min(c.nb, hi-n0)
					if c.Prologue != nil {
						for ni := n0; ni < n0+cnt; ni++ {
							c.Prologue(ni)
						}
					}
					c.winoBackward(ws, n0, cnt, du)
					if c.db != nil {
						for ni := n0; ni < n0+cnt; ni++ {
							sumDB(db, ni)
						}
					}
				}
				continue
			}
			dw := c.dw
			if q > 0 && dw != nil {
				dw = c.chunkDW[q-1]
			}
			clear(dw)
			db := c.chunkDB[q]
			clear(db)
			for ni := lo; ni < hi; ni++ {
				if c.Prologue != nil {
					c.Prologue(ni)
				}
				if g.Transposed {
					c.backwardTransposed(ws, ni, dw)
				} else {
					c.backward(ws, ni, dw)
				}
				if c.db != nil {
					sumDB(db, ni)
				}
			}
		}
	}
}

func sum64(s []float32) float64 {
	var a, b, c, d float32
	for len(s) >= 4 {
		a += s[0]
		b += s[1]
		c += s[2]
		d += s[3]
		s = s[4:]
	}
	for _, v := range s {
		a += v
	}
	return float64(a) + float64(b) + float64(c) + float64(d)
}

// mm runs one GEMM, split between workers when the call allows it.
func (c *Conv) mm(ws *convWorker, call gemmCall) {
	if c.splitGemm && call.m*call.n*call.k >= minSplitGemm {
		c.gm = call
		c.parallel(opGemm, c.maxWorkers())
		return
	}
	ws.gemm.gemm(c.kern, call.m, call.n, call.k, call.A, 0, call.B, 0, call.c, call.ldc, call.acc)
}

// runGemmPart computes worker i's block of rows (or columns) of c.gm.
func (c *Conv) runGemmPart(ws *convWorker, i, nw int) {
	g := c.gm
	mr, nr := c.kern.mr, c.kern.nr
	// Splitting rows makes every worker pack all of B, splitting columns
	// all of A: split the dimension whose other operand is smaller.
	mUnits, nUnits := (g.m+mr-1)/mr, (g.n+nr-1)/nr
	if mUnits >= nw && (g.m > g.n || nUnits < nw) {
		units := mUnits
		i0, i1 := i*units/nw*mr, min((i+1)*units/nw*mr, g.m)
		if i0 < i1 {
			ws.gemm.gemm(c.kern, i1-i0, g.n, g.k, g.A, i0, g.B, 0, g.c[i0*g.ldc:], g.ldc, g.acc)
		}
		return
	}
	units := nUnits
	j0, j1 := i*units/nw*nr, min((i+1)*units/nw*nr, g.n)
	if j0 < j1 {
		ws.gemm.gemm(c.kern, g.m, j1-j0, g.k, g.A, 0, g.B, j0, g.c[j0:], g.ldc, g.acc)
	}
}

// forward: Conv2d, image ni. y_g (coutG×P) = [W_g b_g] (coutG×(K+1)) · [col; 1] ((K+1)×P).
func (c *Conv) forward(ws *convWorker, ni int) {
	g, p := c.G, c.plan
	cinG, coutG := g.InChannels/g.Groups, g.OutChannels/g.Groups
	K, P, inPlane := p.rows(), p.cols(), g.InH*g.InW
	for grp := range g.Groups {
		xg := c.x[(ni*g.InChannels+grp*cinG)*inPlane:][:cinG*inPlane]
		yg := c.y[(ni*g.OutChannels+grp*coutG)*P:][:coutG*P]
		A := c.dense(&ws.a, c.w[grp*coutG*K:], K, false)
		var B panelSrc
		if p.identity {
			B = c.dense(&ws.b, xg, P, true)
		} else {
			ws.im = im2colSrc{p: p, pp: ws.padded(p, xg), gather: c.kern.gather, panel: c.kern.panel}
			B = &ws.im
		}
		k := K
		if c.b != nil {
			k++
			A.extra, A.extraVals = K, c.b[grp*coutG:(grp+1)*coutG]
			if p.identity {
				ws.b.extra = K
			} else {
				ws.im.ones = true
			}
		}
		var Ap panelSrc = A
		if c.usePW {
			Ap = &c.pw
		}
		c.mm(ws, gemmCall{m: coutG, n: P, k: k, A: Ap, B: B, c: yg, ldc: P})
	}
}

// backward: Conv2d, image ni. dW_g += dY_g · colᵀ; dX = col2im(W_gᵀ · dY_g).
func (c *Conv) backward(ws *convWorker, ni int, dw []float32) {
	g, p := c.G, c.plan
	cinG, coutG := g.InChannels/g.Groups, g.OutChannels/g.Groups
	K, P, inPlane := p.rows(), p.cols(), g.InH*g.InW
	for grp := range g.Groups {
		xOff := (ni*g.InChannels + grp*cinG) * inPlane
		dyg := c.dy[(ni*g.OutChannels+grp*coutG)*P:][:coutG*P]
		if dw != nil {
			xg := c.x[xOff:][:cinG*inPlane]
			var B panelSrc
			if p.identity {
				B = c.dense(&ws.b, xg, P, false)
			} else {
				ws.it = im2colSrc{p: p, pp: ws.padded(p, xg), trans: true, gather: c.kern.gather, panel: c.kern.panel}
				B = &ws.it
			}
			c.mm(ws, gemmCall{m: coutG, n: K, k: P, A: c.dense(&ws.a, dyg, P, false), B: B, c: dw[grp*coutG*K:], ldc: K, acc: true})
		}
		if c.dx != nil {
			dxg := c.dx[xOff:][:cinG*inPlane]
			call := gemmCall{m: K, n: P, k: coutG, A: c.dense(&ws.a, c.w[grp*coutG*K:], K, true), B: c.dense(&ws.b, dyg, P, true), c: dxg, ldc: P}
			if c.usePW {
				call.A = &c.pw
			}
			if p.identity {
				c.mm(ws, call)
				continue
			}
			ws.col = grow(ws.col, K*P)
			call.c = ws.col
			c.mm(ws, call)
			ws.pc = grow(ws.pc, p.padLen())
			p.col2imPadded(ws.pc, ws.col, c.kern.addRows)
			p.unpadSet(dxg, ws.pc)
		}
	}
}

// forwardTransposed: ConvTranspose2d, image ni. Y_g = col2im(W_gᵀ · X_g) + b,
// with W_g cinG×Kt (Kt = coutG·kh·kw) and X_g cinG×Pin.
func (c *Conv) forwardTransposed(ws *convWorker, ni int) {
	g, p := c.G, c.plan
	cinG, coutG := g.InChannels/g.Groups, g.OutChannels/g.Groups
	Kt, Pin, outPlane := p.rows(), p.cols(), g.OutH*g.OutW
	yn := c.y[ni*g.OutChannels*outPlane : (ni+1)*g.OutChannels*outPlane]
	if c.b != nil {
		for o := range g.OutChannels {
			fill(yn[o*outPlane:(o+1)*outPlane], c.b[o])
		}
	} else if !p.identity {
		clear(yn)
	}
	for grp := range g.Groups {
		xg := c.x[(ni*g.InChannels+grp*cinG)*Pin:][:cinG*Pin]
		yg := yn[grp*coutG*outPlane:][:coutG*outPlane]
		call := gemmCall{m: Kt, n: Pin, k: cinG, A: c.dense(&ws.a, c.w[grp*cinG*Kt:], Kt, true), B: c.dense(&ws.b, xg, Pin, true), c: yg, ldc: Pin, acc: c.b != nil}
		if p.identity {
			c.mm(ws, call)
			continue
		}
		ws.col = grow(ws.col, Kt*Pin)
		call.c, call.acc = ws.col, false
		c.mm(ws, call)
		ws.pc = grow(ws.pc, p.padLen())
		p.col2imPadded(ws.pc, ws.col, c.kern.addRows)
		p.unpadAdd(yg, ws.pc)
	}
}

// backwardTransposed: ConvTranspose2d, image ni. dX_g = W_g · col(dY_g);
// dW_g += X_g · col(dY_g)ᵀ.
func (c *Conv) backwardTransposed(ws *convWorker, ni int, dw []float32) {
	g, p := c.G, c.plan
	cinG, coutG := g.InChannels/g.Groups, g.OutChannels/g.Groups
	Kt, Pin, outPlane := p.rows(), p.cols(), g.OutH*g.OutW
	for grp := range g.Groups {
		dyg := c.dy[(ni*g.OutChannels+grp*coutG)*outPlane:][:coutG*outPlane]
		xOff := (ni*g.InChannels + grp*cinG) * Pin
		if !p.identity {
			pp := ws.padded(p, dyg)
			ws.im = im2colSrc{p: p, pp: pp, gather: c.kern.gather, panel: c.kern.panel}
			ws.it = im2colSrc{p: p, pp: pp, trans: true, gather: c.kern.gather, panel: c.kern.panel}
		}
		if c.dx != nil {
			var B panelSrc = &ws.im
			if p.identity {
				B = c.dense(&ws.b, dyg, Pin, true)
			}
			c.mm(ws, gemmCall{m: cinG, n: Pin, k: Kt, A: c.dense(&ws.a, c.w[grp*cinG*Kt:], Kt, false), B: B, c: c.dx[xOff:][:cinG*Pin], ldc: Pin})
		}
		if dw != nil {
			var B panelSrc = &ws.it
			if p.identity {
				B = c.dense(&ws.b, dyg, Pin, false)
			}
			c.mm(ws, gemmCall{m: cinG, n: Kt, k: Pin, A: c.dense(&ws.a, c.x[xOff:], Pin, false), B: B, c: dw[grp*cinG*Kt:], ldc: Kt, acc: true})
		}
	}
}

// A small pool of goroutines shared by all Convs. Tasks never wait on other
// tasks, so a full queue just means the caller runs the task itself.
type poolTask struct {
	c     *Conv
	op    uint8
	i, nw int
}

var (
	poolOnce sync.Once
	poolCh   chan poolTask
)

func startPool() {
	poolCh = make(chan poolTask, 64)
	for range max(runtime.NumCPU(), runtime.GOMAXPROCS(0), 2) - 1 {
		go func() {
			for {
				t, ok := poolTake()
				if !ok {
					return
				}
				t.c.run(t.op, t.i, t.nw)
				t.c.wg.Done()
			}
		}()
	}
}

// poolSpin is how long an idle pool goroutine keeps polling for its next
// task before it parks (as OpenMP runtimes keep their threads spinning
// after a parallel region). A training step is a string of calls
// microseconds apart; a parked goroutine is woken onto the caller's P and
// runs only when another core steals it, which on a virtual machine took
// 100-250 µs: most of a short call (measured: the pool's share started a
// median 254 µs into a 298 µs call, so two cores ran it no faster than
// one). A variable for the benchmarks that compare.
var poolSpin = 100 * time.Microsecond

// poolTake returns the next task, polling for poolSpin first.
func poolTake() (poolTask, bool) {
	if poolSpin > 0 {
		for start := time.Now(); time.Since(start) < poolSpin; {
			for range 32 {
				select {
				case t, ok := <-poolCh:
					return t, ok
				default:
				}
			}
			runtime.Gosched() // a caller waiting for this P runs first
		}
	}
	t, ok := <-poolCh
	return t, ok
}

// parallel runs c.run(op, i, nw) for i in [0, nw), the first on this goroutine.
func (c *Conv) parallel(op uint8, nw int) {
	if nw <= 1 {
		c.run(op, 0, 1)
		return
	}
	poolOnce.Do(startPool)
	c.wg.Add(nw - 1)
	for i := 1; i < nw; i++ {
		t := poolTask{c: c, op: op, i: i, nw: nw}
		select {
		case poolCh <- t:
		default:
			c.run(op, i, nw)
			c.wg.Done()
		}
	}
	c.run(op, 0, nw)
	c.wg.Wait()
}
