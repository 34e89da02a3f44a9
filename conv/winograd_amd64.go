//go:build !purego

package conv

// AVX2 row kernels of the Winograd transforms (winograd_amd64.s), 8 tiles
// per vector, for both the AVX2 and the AVX-512 GEMM kernels. The wrappers
// check with Go's bounds checks every value the assembly reads or writes:
// winoInputRow and winoGradRow write whole vectors (up to 7 values past the
// row's last tile, into the slack winoLd leaves), winoInputRow reads up to
// 8 values past its 4 rows (winoSlack), and winoOutputRow and winoGradRow
// touch exactly ow values of each image row.

//go:noescape
func winoInputRowAVX2(out *float32, vs int, rows *float32, sw, nblk int)

//go:noescape
func winoOutputRowAVX2(y0, y1, m *float32, ms int, bias float32, nblk, ow int)

//go:noescape
func winoGradRowAVX2(out *float32, vs int, d00, d01, d10, d11 *float32, nblk int)

//go:noescape
func winoPadAVX2(dst, src *float32, nrows, srcW, sw, a, b int)

//go:noescape
func transposeAVX2(dst, src *float32, ld, dld, nblk int)

func winoInputRowSIMD(out []float32, vs int, rows []float32, sw, tx int) {
	nb := (tx + 7) / 8
	_ = out[15*vs+8*nb-1]
	_ = rows[3*sw+sw/2+8*nb]
	winoInputRowAVX2(&out[0], vs, &rows[0], sw, nb)
}

func winoOutputRowSIMD(y0, y1, m []float32, ms int, bias float32, tx, ow int) {
	nb := (tx + 7) / 8
	_ = m[15*ms+8*nb-1]
	_ = y0[ow-1]
	var p1 *float32
	if y1 != nil {
		_ = y1[ow-1]
		p1 = &y1[0]
	}
	winoOutputRowAVX2(&y0[0], p1, &m[0], ms, bias, nb, ow)
}

func winoGradRowSIMD(out []float32, vs int, d00, d01, d10, d11 []float32, tx int) {
	nb := (tx + 7) / 8
	_ = out[15*vs+8*nb-1]
	_, _, _, _ = d00[8*nb-1], d01[8*nb-1], d10[8*nb-1], d11[8*nb-1]
	winoGradRowAVX2(&out[0], vs, &d00[0], &d01[0], &d10[0], &d11[0], nb)
}

func winoPadSIMD(buf, src []float32, g *winoGrid, nc int) {
	if g.srcH == 0 || g.srcW == 0 {
		return
	}
	pl, sp := g.planeLen(), g.srcH*g.srcW
	a, b := g.padOffsets()
	last := (g.top+g.srcH-1)*g.sw + max(a+(g.srcW+1)/2, b+g.srcW/2) - 1
	for c := range nc {
		p := buf[c*pl:]
		_ = p[last]
		s := src[c*sp : (c+1)*sp]
		winoPadAVX2(&p[g.top*g.sw], &s[0], g.srcH, g.srcW, g.sw, a, b)
	}
}

// packTTransposeAVX2 is a transposing pack (packTFunc) for full panels
// whose width is a multiple of 8: 8×8 register transposes, the last ic%8
// columns in Go.
func packTTransposeAVX2(dst, a []float32, ld, w, on, ic int) bool {
	if on != w || w%8 != 0 || ic < 8 {
		return false
	}
	_ = a[(w-1)*ld+ic-1]
	_ = dst[ic*w-1]
	nb := ic / 8
	for g := 0; g < w; g += 8 {
		transposeAVX2(&dst[g], &a[g*ld], ld, w, nb)
	}
	for i := nb * 8; i < ic; i++ {
		for o := range w {
			dst[i*w+o] = a[o*ld+i]
		}
	}
	return true
}

// winoAVX2 is the row kernels of the AVX2 and AVX-512 GEMM kernels
// (gemm_amd64.go's init picks them up).
var winoAVX2 = &winoRows{winoInputRowSIMD, winoOutputRowSIMD, winoGradRowSIMD, winoPadSIMD}
