//go:build !purego

package conv

//go:noescape
func directAVX512(y *float32, ldy int, pp *float32, pw int, wt *float32, kh, kw, ow, oh int)

//go:noescape
func directAVX512W24(y *float32, ldy int, pp *float32, pw int, wt *float32, kh, kw, npairs int)

//go:noescape
func directAVX2(y *float32, ldy int, pp *float32, pw int, wt *float32, kh, kw, ow, oh int)

// directCheck panics unless every value the direct kernels touch is inside
// its slice: 8 planes of oh×ow in y, oh+kh−1 rows of pw in pp (ow+kw−1 ≤
// pw), and the block's weights.
func directCheck(y []float32, ldy int, pp []float32, pw int, wt []float32, kh, kw, ow, oh, bcast int) {
	if ow < 8 || oh < 1 || kh < 1 || kw < 1 || ow+kw-1 > pw || ldy < oh*ow {
		panic("conv: direct kernel: bad shape")
	}
	_ = y[7*ldy+oh*ow-1]
	_ = pp[(oh+kh-2)*pw+ow+kw-2]
	_ = wt[(kh*kw+1)*8*bcast-1]
}

var (
	directKernelAVX512 = &directKernel{bcast: 1, run: func(y []float32, ldy int, pp []float32, pw int, wt []float32, kh, kw, ow, oh int) {
		directCheck(y, ldy, pp, pw, wt, kh, kw, ow, oh, 1)
		if ow == 24 && oh >= 2 && directW24 {
			// Rows of 24 (a 5×5 kernel on 28×28): two rows as three
			// vectors, every lane used (32-column steps waste a quarter).
			directAVX512W24(&y[0], ldy, &pp[0], pw, &wt[0], kh, kw, oh/2)
			if oh%2 == 0 {
				return
			}
			y, pp, oh = y[(oh-1)*ow:], pp[(oh-1)*pw:], 1
		}
		directAVX512(&y[0], ldy, &pp[0], pw, &wt[0], kh, kw, ow, oh)
	}}
	directKernelAVX2 = &directKernel{bcast: 8, run: func(y []float32, ldy int, pp []float32, pw int, wt []float32, kh, kw, ow, oh int) {
		directCheck(y, ldy, pp, pw, wt, kh, kw, ow, oh, 8)
		directAVX2(&y[0], ldy, &pp[0], pw, &wt[0], kh, kw, ow, oh)
	}}
)
