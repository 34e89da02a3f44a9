package conv

// colPlan describes one im2col lowering: a kernel of kh×kw taps slides over
// a "source" plane (srcH×srcW, c channels) and visits gridH×gridW positions;
// position (gy, gx) and tap (ky, kx) read source cell
// SourceIndex(mode, gy*sh+ky*dh, padTop, srcH), SourceIndex(mode, gx*sw+kx*dw, padLeft, srcW).
//
// The column matrix is (c·kh·kw) × (gridH·gridW), row (ci*kh+ky)*kw+kx,
// column gy*gridW+gx, zero where the tap reads zero padding.
//
// Conv2d uses it with source = input and grid = output. ConvTranspose2d uses
// it the other way round (source = output, grid = input, zero padding): its
// forward pass is col2im of Wᵀ·X and its input gradient is W·im2col(dY).
type colPlan struct {
	c, kh, kw    int
	srcH, srcW   int
	gridH, gridW int
	sw           int
	ys           []int32 // ys[ky*gridH+gy]: source row or -1 (zero padding)
	xs           []int32 // xs[kx*gridW+gx]: source column or -1
	// With sw == 1, for tap column kx the grid columns [xlo[kx], xhi[kx])
	// read real source columns gx+xoff[kx], contiguously.
	xlo, xhi, xoff []int
	// identity: the column matrix is the source itself (1×1 kernel, stride
	// 1, no padding, grid == source).
	identity bool
}

func newColPlan(c, kh, kw, srcH, srcW, gridH, gridW, sh, sw, dh, dw, padTop, padLeft int, mode PaddingMode) *colPlan {
	p := &colPlan{c: c, kh: kh, kw: kw, srcH: srcH, srcW: srcW, gridH: gridH, gridW: gridW, sw: sw}
	p.identity = kh == 1 && kw == 1 && sh == 1 && sw == 1 && padTop == 0 && padLeft == 0 && srcH == gridH && srcW == gridW
	p.ys = make([]int32, kh*gridH)
	for ky := range kh {
		for gy := range gridH {
			s, _ := SourceIndex(mode, gy*sh+ky*dh, padTop, srcH)
			p.ys[ky*gridH+gy] = int32(s)
		}
	}
	p.xs = make([]int32, kw*gridW)
	p.xlo = make([]int, kw)
	p.xhi = make([]int, kw)
	p.xoff = make([]int, kw)
	for kx := range kw {
		off := kx*dw - padLeft
		p.xoff[kx] = off
		lo, hi := gridW, gridW
		for gx := range gridW {
			s, pad := SourceIndex(mode, gx*sw+kx*dw, padLeft, srcW)
			p.xs[kx*gridW+gx] = int32(s)
			if !pad {
				if lo == gridW {
					lo = gx
				}
				hi = gx + 1
			}
		}
		if lo >= hi {
			lo, hi = 0, 0
		}
		p.xlo[kx], p.xhi[kx] = lo, hi
	}
	return p
}

// rows is the number of rows of the column matrix, cols its columns.
func (p *colPlan) rows() int { return p.c * p.kh * p.kw }
func (p *colPlan) cols() int { return p.gridH * p.gridW }

// im2col fills col (rows×cols) from src (c×srcH×srcW).
func (p *colPlan) im2col(col, src []float32) {
	gridW, srcPlane, P := p.gridW, p.srcH*p.srcW, p.cols()
	for ci := range p.c {
		plane := src[ci*srcPlane : ci*srcPlane+srcPlane]
		for ky := range p.kh {
			ys := p.ys[ky*p.gridH : ky*p.gridH+p.gridH]
			for kx := range p.kw {
				row := col[((ci*p.kh+ky)*p.kw+kx)*P:][:P]
				xs := p.xs[kx*gridW : kx*gridW+gridW]
				lo, hi, off := p.xlo[kx], p.xhi[kx], p.xoff[kx]
				for gy, sy := range ys {
					d := row[gy*gridW : gy*gridW+gridW]
					if sy < 0 {
						clear(d)
						continue
					}
					s := plane[int(sy)*p.srcW : int(sy)*p.srcW+p.srcW]
					if p.sw == 1 {
						for gx := 0; gx < lo; gx++ {
							d[gx] = at(s, xs[gx])
						}
						if hi > lo {
							copy(d[lo:hi], s[lo+off:hi+off])
						}
						for gx := hi; gx < gridW; gx++ {
							d[gx] = at(s, xs[gx])
						}
						continue
					}
					for gx, sx := range xs {
						d[gx] = at(s, sx)
					}
				}
			}
		}
	}
}

func at(s []float32, i int32) float32 {
	if i < 0 {
		return 0
	}
	return s[i]
}

// col2imAdd adds every entry of col (rows×cols) into the source cell it was
// read from: dst (c×srcH×srcW) += col2im(col). Entries for zero padding are
// dropped; entries for reflect/replicate/circular padding go to the cell
// the padding copied.
func (p *colPlan) col2imAdd(dst, col []float32) {
	gridW, srcPlane, P := p.gridW, p.srcH*p.srcW, p.cols()
	for ci := range p.c {
		plane := dst[ci*srcPlane : ci*srcPlane+srcPlane]
		for ky := range p.kh {
			ys := p.ys[ky*p.gridH : ky*p.gridH+p.gridH]
			for kx := range p.kw {
				row := col[((ci*p.kh+ky)*p.kw+kx)*P:][:P]
				xs := p.xs[kx*gridW : kx*gridW+gridW]
				lo, hi, off := p.xlo[kx], p.xhi[kx], p.xoff[kx]
				for gy, sy := range ys {
					if sy < 0 {
						continue
					}
					d := row[gy*gridW : gy*gridW+gridW]
					s := plane[int(sy)*p.srcW : int(sy)*p.srcW+p.srcW]
					if p.sw == 1 {
						for gx := 0; gx < lo; gx++ {
							if sx := xs[gx]; sx >= 0 {
								s[sx] += d[gx]
							}
						}
						if hi > lo {
							addTo(s[lo+off:hi+off], d[lo:hi])
						}
						for gx := hi; gx < gridW; gx++ {
							if sx := xs[gx]; sx >= 0 {
								s[sx] += d[gx]
							}
						}
						continue
					}
					for gx, sx := range xs {
						if sx >= 0 {
							s[sx] += d[gx]
						}
					}
				}
			}
		}
	}
}

// addTo does dst[i] += src[i].
func addTo(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}
