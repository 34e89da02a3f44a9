package conv

// The direct convolution of a single input channel (Cin = 1, the first
// layer of both MNIST networks and most of the lesson's examples). With one
// input channel the column matrix of im2col has only kh·kw rows, so each
// packed value feeds few multiply-adds: packing the column panels took
// about 28% of the 1→16 5×5 layer's time. The direct kernels (AVX-512,
// AVX2 in direct_amd64.s) keep 8 kernels' weights in L1, read the padded
// input rows in place and accumulate 8 output channels at once; the rest
// (padding modes, images, workers, the Epilogue) is the im2col path's.
// Other kernels (portable, NEON) keep im2col.

// directEnabled turns the direct kernels off when false (CONVLAB_CONV=im2col,
// tests and benchmarks that compare with im2col).
var directEnabled = !im2colOnly

// directW24 lets the AVX-512 kernel take rows of 24 two at a time (a
// variable for the benchmark that compares).
var directW24 = true

// directKernel is a GEMM kernel's direct convolution of one input channel.
type directKernel struct {
	// bcast is how many floats each weight takes in the prepared layout:
	// 1 (the kernel broadcasts it) or 8 (already broadcast).
	bcast int
	// run writes 8 output planes (oh×ow, ldy apart) from one padded plane
	// (rows pw apart) and the block's prepared weights and biases.
	run func(y []float32, ldy int, pp []float32, pw int, wt []float32, kh, kw, ow, oh int)
}

// directEligible reports whether g runs through kern's direct kernel.
func directEligible(g *Geometry, kern *gemmKernel) bool {
	return kern.direct != nil && !g.Transposed && g.Groups == 1 && g.InChannels == 1 &&
		g.Stride == [2]int{1, 1} && g.Dilation == [2]int{1, 1} &&
		g.OutChannels%8 == 0 && g.OutW >= 8 && g.OutH >= 1 &&
		g.KernelSize[0]*g.KernelSize[1] <= 121
}

// directWeights lays out w (cout×kh·kw) and b (cout, or nil: zeros) for
// the direct kernel: per block of 8 output channels, the taps' weights
// [tap][c][bcast] and then the biases [c][bcast].
func directWeights(dst, w, b []float32, cout, taps, bcast int) {
	per := (taps + 1) * 8 * bcast
	for blk := range cout / 8 {
		d := dst[blk*per : (blk+1)*per]
		for c := range 8 {
			co := blk*8 + c
			for t := range taps {
				fill(d[(t*8+c)*bcast:(t*8+c+1)*bcast], w[co*taps+t])
			}
			var bv float32
			if b != nil {
				bv = b[co]
			}
			fill(d[(taps*8+c)*bcast:(taps*8+c+1)*bcast], bv)
		}
	}
}

// directPrepare lays out the call's weights (Forward, once per call).
func (c *Conv) directPrepare(w, b []float32) {
	g, k := c.G, c.kern.direct
	taps := g.KernelSize[0] * g.KernelSize[1]
	c.dwt = grow(c.dwt, g.OutChannels/8*(taps+1)*8*k.bcast)
	directWeights(c.dwt, w, b, g.OutChannels, taps, k.bcast)
}

// forwardDirect: Conv2d of image ni with one input channel, 8 output
// channels per kernel call.
func (c *Conv) forwardDirect(ws *convWorker, ni int) {
	g, p, k := c.G, c.plan, c.kern.direct
	P, taps := g.OutH*g.OutW, g.KernelSize[0]*g.KernelSize[1]
	pp := ws.padded(p, c.x[ni*g.InH*g.InW:][:g.InH*g.InW])
	per := (taps + 1) * 8 * k.bcast
	y := c.y[ni*g.OutChannels*P:][:g.OutChannels*P]
	for blk := range g.OutChannels / 8 {
		k.run(y[blk*8*P:], P, pp, p.pw, c.dwt[blk*per:(blk+1)*per], g.KernelSize[0], g.KernelSize[1], g.OutW, g.OutH)
	}
}
