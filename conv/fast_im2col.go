package conv

// colPlan describes one im2col lowering: a kernel of kh×kw taps slides over
// a "source" plane (srcH×srcW, c channels) and visits gridH×gridW positions;
// position (gy, gx) and tap (ky, kx) read the cell at padded coordinates
// (gy*sh+ky*dh, gx*sw+kx*dw), which shows source cell
// SourceIndex(mode, ·, padTop, srcH) × SourceIndex(mode, ·, padLeft, srcW).
//
// The column matrix is (c·kh·kw) × (gridH·gridW): row (ci*kh+ky)*kw+kx
// (a tap), column gy*gridW+gx (a position). It is never stored whole:
// the source is first copied into a padded plane (pad: every padding mode
// resolved once per cell), and then each entry is a branch-free read
// pp[tapOff[row] + posOff[col]], done while packing GEMM panels
// (im2colSrc). The reverse, col2im, scatters into a padded plane and folds
// the padding cells back onto the cells they copied (unpadAdd).
//
// Conv2d uses it with source = input and grid = output. ConvTranspose2d uses
// it the other way round (source = output, grid = input, zero padding): its
// forward pass is col2im of Wᵀ·X and its input gradient is W·im2col(dY).
type colPlan struct {
	c, kh, kw    int
	sh, sw       int
	srcH, srcW   int
	gridH, gridW int
	ph, pw       int     // the padded plane: rows and columns any tap reads
	rowSrc       []int32 // rowSrc[py]: source row of padded row py, or -1
	colSrc       []int32 // colSrc[px]: source column of padded column px, or -1
	colLo, colHi int     // padded columns [colLo, colHi) are source columns px-padLeft
	tapOff       []int32 // per column-matrix row: offset in the padded planes
	posOff       []int32 // per column-matrix column: offset in a padded plane
	// identity: the column matrix is the source itself (1×1 kernel, stride
	// 1, no padding, grid == source).
	identity bool
	zeros    bool // zero padding: every source cell appears at most once in the padded planes
}

func newColPlan(c, kh, kw, srcH, srcW, gridH, gridW, sh, sw, dh, dw, padTop, padLeft int, mode PaddingMode) *colPlan {
	p := &colPlan{c: c, kh: kh, kw: kw, sh: sh, sw: sw, srcH: srcH, srcW: srcW, gridH: gridH, gridW: gridW}
	p.zeros = mode == Zeros
	p.identity = kh == 1 && kw == 1 && sh == 1 && sw == 1 && padTop == 0 && padLeft == 0 && srcH == gridH && srcW == gridW
	p.ph = (gridH-1)*sh + (kh-1)*dh + 1
	p.pw = (gridW-1)*sw + (kw-1)*dw + 1
	p.rowSrc = make([]int32, p.ph)
	for py := range p.ph {
		s, _ := SourceIndex(mode, py, padTop, srcH)
		p.rowSrc[py] = int32(s)
	}
	p.colSrc = make([]int32, p.pw)
	p.colLo, p.colHi = 0, 0
	for px := range p.pw {
		s, pad := SourceIndex(mode, px, padLeft, srcW)
		p.colSrc[px] = int32(s)
		if !pad {
			if p.colHi == 0 {
				p.colLo = px
			}
			p.colHi = px + 1
		}
	}
	plane := p.ph * p.pw
	p.tapOff = make([]int32, c*kh*kw)
	for ci := range c {
		for ky := range kh {
			for kx := range kw {
				p.tapOff[(ci*kh+ky)*kw+kx] = int32(ci*plane + ky*dh*p.pw + kx*dw)
			}
		}
	}
	p.posOff = make([]int32, gridH*gridW)
	for gy := range gridH {
		for gx := range gridW {
			p.posOff[gy*gridW+gx] = int32(gy*sh*p.pw + gx*sw)
		}
	}
	return p
}

// rows is the number of rows of the column matrix, cols its columns,
// padLen the length of the padded planes of all c channels.
func (p *colPlan) rows() int   { return p.c * p.kh * p.kw }
func (p *colPlan) cols() int   { return p.gridH * p.gridW }
func (p *colPlan) padLen() int { return p.c * p.ph * p.pw }

// pad copies src (c×srcH×srcW) into the padded planes pp (padLen()).
func (p *colPlan) pad(pp, src []float32) {
	srcPlane, plane := p.srcH*p.srcW, p.ph*p.pw
	lo, hi := p.colLo, p.colHi
	for ci := range p.c {
		s := src[ci*srcPlane : ci*srcPlane+srcPlane]
		d := pp[ci*plane : ci*plane+plane]
		for py, sy := range p.rowSrc {
			row := d[py*p.pw : py*p.pw+p.pw]
			if sy < 0 {
				clear(row)
				continue
			}
			sr := s[int(sy)*p.srcW : int(sy)*p.srcW+p.srcW]
			for px := 0; px < lo; px++ {
				row[px] = at(sr, p.colSrc[px])
			}
			if hi > lo {
				o := int(p.colSrc[lo])
				copy(row[lo:hi], sr[o:o+hi-lo])
			}
			for px := hi; px < p.pw; px++ {
				row[px] = at(sr, p.colSrc[px])
			}
		}
	}
}

// padInterior is pad for zero padding when pp already holds p's padded
// planes of another source: the padding cells are zero and stay so, only
// the cells that show the source are copied.
func (p *colPlan) padInterior(pp, src []float32) {
	srcPlane, plane := p.srcH*p.srcW, p.ph*p.pw
	lo, hi := p.colLo, p.colHi
	if hi <= lo {
		return
	}
	o := int(p.colSrc[lo])
	for ci := range p.c {
		s := src[ci*srcPlane : ci*srcPlane+srcPlane]
		d := pp[ci*plane : ci*plane+plane]
		for py, sy := range p.rowSrc {
			if sy >= 0 {
				copy(d[py*p.pw+lo:py*p.pw+hi], s[int(sy)*p.srcW+o:int(sy)*p.srcW+o+hi-lo])
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

// unpadAdd folds padded planes back: dst[cell] += every padded cell that
// shows it (padding cells of reflect/replicate/circular go to the cell they
// copy; zero padding is dropped). This is the adjoint of pad.
func (p *colPlan) unpadAdd(dst, pp []float32) {
	srcPlane, plane := p.srcH*p.srcW, p.ph*p.pw
	lo, hi := p.colLo, p.colHi
	for ci := range p.c {
		d := dst[ci*srcPlane : ci*srcPlane+srcPlane]
		s := pp[ci*plane : ci*plane+plane]
		for py, sy := range p.rowSrc {
			if sy < 0 {
				continue
			}
			row := s[py*p.pw : py*p.pw+p.pw]
			dr := d[int(sy)*p.srcW : int(sy)*p.srcW+p.srcW]
			for px := 0; px < lo; px++ {
				if sx := p.colSrc[px]; sx >= 0 {
					dr[sx] += row[px]
				}
			}
			if hi > lo {
				o := int(p.colSrc[lo])
				addTo(dr[o:o+hi-lo], row[lo:hi])
			}
			for px := hi; px < p.pw; px++ {
				if sx := p.colSrc[px]; sx >= 0 {
					dr[sx] += row[px]
				}
			}
		}
	}
}

// unpadSet is dst = 0 then unpadAdd(dst, pp); with zero padding each source
// cell shows at most once, so the interior is copied rather than added.
func (p *colPlan) unpadSet(dst, pp []float32) {
	clear(dst)
	if !p.zeros {
		p.unpadAdd(dst, pp)
		return
	}
	lo, hi := p.colLo, p.colHi
	if hi <= lo {
		return
	}
	srcPlane, plane, o := p.srcH*p.srcW, p.ph*p.pw, int(p.colSrc[lo])
	for ci := range p.c {
		d := dst[ci*srcPlane : ci*srcPlane+srcPlane]
		s := pp[ci*plane : ci*plane+plane]
		for py, sy := range p.rowSrc {
			if sy >= 0 {
				copy(d[int(sy)*p.srcW+o:int(sy)*p.srcW+o+hi-lo], s[py*p.pw+lo:py*p.pw+hi])
			}
		}
	}
}

// col2imPadded adds the column matrix col (rows×cols) into the padded
// planes pp, which it first clears: pp[tapOff[r]+posOff[j]] += col[r][j].
// With stride 1 along x, each row of the grid is a contiguous run of the
// padded plane, added by addRows (nil: addRowsGo).
func (p *colPlan) col2imPadded(pp, col []float32, addRows addRowsFunc) {
	clear(pp)
	P := p.cols()
	if p.sw == 1 {
		if addRows == nil {
			addRows = addRowsGo
		}
		for r, t := range p.tapOff {
			addRows(pp[t:], col[r*P:r*P+P], p.gridH, p.gridW, p.sh*p.pw)
		}
		return
	}
	for r, t := range p.tapOff {
		row := col[r*P : r*P+P]
		sub := pp[t:]
		for j, o := range p.posOff {
			sub[o] += row[j]
		}
	}
}

// addRowsFunc does dst[y*dstStride+x] += src[y*cols+x] for y < rows, x < cols.
type addRowsFunc func(dst, src []float32, rows, cols, dstStride int)

func addRowsGo(dst, src []float32, rows, cols, dstStride int) {
	for y := range rows {
		addTo(dst[y*dstStride:y*dstStride+cols], src[y*cols:y*cols+cols])
	}
}

// addTo does dst[i] += src[i].
func addTo(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] += v
	}
}

// im2colSrc is the column matrix of a colPlan as a GEMM operand, read from
// padded planes. With trans false, outer = position (column of the column
// matrix) and inner = tap (its row): the B operand of W·col. With trans
// true, outer = tap and inner = position: the B operand of dY·colᵀ. With
// ones (trans false only), inner index rows() is a row of ones (bias).
type im2colSrc struct {
	p      *colPlan
	pp     []float32
	trans  bool
	ones   bool
	gather gatherFunc // nil: gatherGo
	panel  gatherPanelFunc
}

// gatherPanelFunc sets dst[r*len(idx)+l] = src[bases[r]+idx[l]] for every
// row r of bases and l of idx (bases and idx nondecreasing, within src),
// and reports whether it did (it may decline the width).
type gatherPanelFunc func(dst, src []float32, bases, idx []int32) bool

// gatherFunc sets dst[i] = src[idx[i]] for every i < len(dst) (len(idx) ==
// len(dst)); idx must be nondecreasing and within src.
type gatherFunc func(dst, src []float32, idx []int32)

func gatherGo(dst, src []float32, idx []int32) {
	idx = idx[:len(dst)]
	for j, o := range idx {
		dst[j] = src[o]
	}
}

func (s *im2colSrc) pack(dst []float32, w, o0, on, i0, ic int) {
	p := s.p
	gather := s.gather
	if gather == nil {
		gather = gatherGo
	}
	if !s.trans {
		offs := p.posOff[o0 : o0+on]
		if s.panel != nil && on == w {
			n := min(ic, len(p.tapOff)-i0) // rows before the ones row
			if s.panel(dst[:n*w], s.pp, p.tapOff[i0:i0+n], offs) {
				if n < ic {
					d := dst[n*w : n*w+w]
					fill(d[:on], 1)
					clear(d[on:])
				}
				return
			}
		}
		if w == 4 && on == 4 {
			// The 4-wide last panel of the transposed edge kernels
			// (196 = 6·32 + 4): inline, not a gather call per row.
			o0, o1, o2, o3 := int(offs[0]), int(offs[1]), int(offs[2]), int(offs[3])
			for i := range ic {
				d := dst[i*4 : i*4+4 : i*4+4]
				if i0+i == len(p.tapOff) {
					d[0], d[1], d[2], d[3] = 1, 1, 1, 1
					continue
				}
				src := s.pp[p.tapOff[i0+i]:]
				d[0], d[1], d[2], d[3] = src[o0], src[o1], src[o2], src[o3]
			}
			return
		}
		for i := range ic {
			d := dst[i*w : i*w+w]
			if i0+i == len(p.tapOff) {
				fill(d[:on], 1)
			} else {
				gather(d[:on], s.pp[p.tapOff[i0+i]:], offs)
			}
			clear(d[on:])
		}
		return
	}
	taps := p.tapOff[o0 : o0+on]
	if s.panel != nil && on == w && s.panel(dst[:ic*w], s.pp, p.posOff[i0:i0+ic], taps) {
		return
	}
	for i := range ic {
		d := dst[i*w : i*w+w]
		gather(d[:on], s.pp[p.posOff[i0+i]:], taps)
		clear(d[on:])
	}
}
