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
func winoInputAVX2(out *float32, vs int, rows *float32, sw, nblk, nty, tx int)

//go:noescape
func winoOutputAVX2(y, m *float32, ms int, bias float32, nblk, nty, ow, oh, tx, ylen int)

//go:noescape
func winoGradAVX2(out *float32, vs int, d00, d01 *float32, sw, nblk, nty, tx int)

//go:noescape
func winoPadAVX2(dst, src *float32, nrows, srcW, sw, off1, sx1, off2, sx2 int)

//go:noescape
func transposeAVX2(dst, src *float32, ld, dld, nblk int)

func winoInputSIMD(out []float32, vs int, plane []float32, sw, tx, nty int) {
	if nty == 0 {
		return
	}
	nb := (tx + 7) / 8
	_ = out[15*vs+(nty-1)*tx+8*nb-1]
	_ = plane[2*(nty-1)*sw+3*sw+sw/2+8*nb]
	winoInputAVX2(&out[0], vs, &plane[0], sw, nb, nty, tx)
}

func winoOutputSIMD(y, m []float32, ms int, bias float32, tx, nty, ow, oh int) {
	if nty == 0 {
		return
	}
	nb := (tx + 7) / 8
	_ = m[15*ms+(nty-1)*tx+8*nb-1]
	_ = y[oh*ow-1]
	if oh > 2*nty || oh < 2*nty-1 || ow > 16*nb || ow < 16*nb-15 {
		panic("conv: winoOutputSIMD: the tiles do not cover the plane")
	}
	// A row's last vector may write up to 16·nb − ow values past the row,
	// anywhere in y (the caller writes what follows the plane after this
	// call); past len(y) it is masked.
	winoOutputAVX2(&y[0], &m[0], ms, bias, nb, nty, ow, oh, tx, len(y))
}

func winoGradSIMD(out []float32, vs int, d00, d01 []float32, sw, tx, nty int) {
	if nty == 0 {
		return
	}
	nb := (tx + 7) / 8
	_ = out[15*vs+(nty-1)*tx+8*nb-1]
	last := 2*(nty-1)*sw + sw + 8*nb - 1
	_, _ = d00[last], d01[last]
	winoGradAVX2(&out[0], vs, &d00[0], &d01[0], sw, nb, nty, tx)
}

func winoPadSIMD(buf, src []float32, g *winoGrid, nc int) {
	if g.srcH == 0 || g.srcW == 0 {
		return
	}
	pl, sp := g.planeLen(), g.srcH*g.srcW
	a, b := g.padOffsets()
	ne, no := (g.srcW+1)/2, g.srcW/2 // even- and odd-indexed values per row
	// Write the half that starts lower first: the vectors' zeros past it
	// (up to 7) then land on values the second pass writes after them, or
	// on the border. The second pass's zeros land past its half, on the
	// border, a later row or plane, or the slack.
	off1, sx1, n1, off2, sx2, n2 := a, 0, ne, b, 1, no
	if b < a {
		off1, sx1, n1, off2, sx2, n2 = b, 1, no, a, 0, ne
	}
	if off1+n1 > off2 {
		panic("conv: winoPadSIMD: the halves overlap")
	}
	last := (g.top+g.srcH-1)*g.sw + max(off1+roundUp(n1, 8), off2+roundUp(n2, 8)) - 1
	for c := range nc {
		p := buf[c*pl:]
		_ = p[last]
		s := src[c*sp:]
		rows := g.srcH
		if len(s) < sp+16 {
			rows-- // the last row's reads would pass the end of src: Go's copy below
		}
		if rows > 0 {
			winoPadAVX2(&p[g.top*g.sw], &s[0], rows, g.srcW, g.sw, off1, sx1, off2, sx2)
		}
		if rows < g.srcH {
			row := p[(g.top+g.srcH-1)*g.sw:]
			sr := s[(g.srcH-1)*g.srcW : g.srcH*g.srcW]
			for i := 0; 2*i < len(sr); i++ {
				row[a+i] = sr[2*i]
			}
			for i := 0; 2*i+1 < len(sr); i++ {
				row[b+i] = sr[2*i+1]
			}
		}
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
var winoAVX2 = &winoRows{winoInputSIMD, winoOutputSIMD, winoGradSIMD, winoPadSIMD}
