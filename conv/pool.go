package conv

import "math"

// PoolSpec describes torch.nn.MaxPool2d / AvgPool2d. Zero values mean
// PyTorch's defaults: Stride 0 = Kernel, Dilation 0 = 1, CeilMode false,
// ExcludePad false (count_include_pad=True). Dilation is MaxPool2d's only
// (ResolveAvg refuses it); ExcludePad is AvgPool2d's only (max ignores it).
type PoolSpec struct {
	Kernel   [2]int
	Stride   [2]int
	Padding  [2]int
	Dilation [2]int
	// CeilMode rounds the output size up (ceil_mode=True), with PyTorch's
	// rule that the last window must start inside the input or its left
	// padding.
	CeilMode bool
	// ExcludePad leaves padding out of an average's divisor
	// (count_include_pad=False).
	ExcludePad bool
}

// Pool is a PoolSpec resolved against C channels of InH × InW (Stride and
// Dilation filled in).
type Pool struct {
	PoolSpec
	C, InH, InW, OutH, OutW int
}

// ResolveAvg is Resolve for AvgPool2d, which has no dilation.
func (s PoolSpec) ResolveAvg(c, inH, inW int) (*Pool, error) {
	if (s.Dilation[0] != 0 && s.Dilation[0] != 1) || (s.Dilation[1] != 0 && s.Dilation[1] != 1) {
		return nil, errf("pool_avg_dilation", "dilation", "average pooling has no dilation (only MaxPool2d has one), got %d×%d",
			arg("h", s.Dilation[0]), arg("w", s.Dilation[1]))
	}
	return s.Resolve(c, inH, inW)
}

// poolOutSize is PyTorch's pooling_output_shape: floor (or ceil) of
// (in + 2·pad − dil·(k−1) − 1)/stride, plus 1; in ceil mode the last window
// must start inside the input or the left padding.
func poolOutSize(in, k, s, pad, dil int, ceil bool) int {
	num := in + 2*pad - dil*(k-1) - 1
	if ceil {
		num += s - 1
	}
	out := floorDiv(num, s) + 1
	if ceil && (out-1)*s >= in+pad {
		out--
	}
	return out
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// Resolve checks the pooling as PyTorch does and computes the output size.
func (s PoolSpec) Resolve(c, inH, inW int) (*Pool, error) {
	for i := range 2 {
		if s.Stride[i] == 0 {
			s.Stride[i] = s.Kernel[i]
		}
		if s.Dilation[i] == 0 {
			s.Dilation[i] = 1
		}
	}
	for i := range 2 {
		if s.Kernel[i] < 1 || s.Kernel[i] > MaxDim {
			return nil, errf("pool_kernel_range", "kernel_size", "pooling kernel_size must be between 1 and %d, got %d×%d", arg("max", MaxDim), arg("h", s.Kernel[0]), arg("w", s.Kernel[1]))
		}
		if s.Stride[i] < 1 || s.Stride[i] > MaxDim {
			return nil, errf("pool_stride_range", "stride", "pooling stride must be between 1 and %d, got %d×%d", arg("max", MaxDim), arg("h", s.Stride[0]), arg("w", s.Stride[1]))
		}
		if s.Dilation[i] < 1 || s.Dilation[i] > MaxDim {
			return nil, errf("pool_dilation_range", "dilation", "pooling dilation must be between 1 and %d, got %d×%d", arg("max", MaxDim), arg("h", s.Dilation[0]), arg("w", s.Dilation[1]))
		}
		if s.Padding[i] < 0 {
			return nil, errf("pool_padding_negative", "padding", "pooling padding cannot be negative, got %d×%d", arg("h", s.Padding[0]), arg("w", s.Padding[1]))
		}
		if 2*s.Padding[i] > s.Kernel[i] {
			return nil, errf("pool_padding_over_half", "padding", "pooling padding must be at most half the kernel size: padding %d×%d, kernel %d×%d",
				arg("pad_h", s.Padding[0]), arg("pad_w", s.Padding[1]), arg("k_h", s.Kernel[0]), arg("k_w", s.Kernel[1]))
		}
	}
	if c < 1 || inH < 1 || inW < 1 {
		return nil, errf("pool_input_empty", "input", "pooling needs a non-empty input, got %d×%d×%d", arg("c", c), arg("h", inH), arg("w", inW))
	}
	if inH > MaxDim || inW > MaxDim {
		return nil, errf("input_too_large", "input", "the input %d×%d is too large (at most %d per side)", arg("h", inH), arg("w", inW), arg("max", MaxDim))
	}
	p := &Pool{PoolSpec: s, C: c, InH: inH, InW: inW}
	p.OutH = poolOutSize(inH, s.Kernel[0], s.Stride[0], s.Padding[0], s.Dilation[0], s.CeilMode)
	p.OutW = poolOutSize(inW, s.Kernel[1], s.Stride[1], s.Padding[1], s.Dilation[1], s.CeilMode)
	if p.OutH < 1 || p.OutW < 1 {
		ph, pw := inH+2*s.Padding[0], inW+2*s.Padding[1]
		if s.Dilation == [2]int{1, 1} {
			return nil, errf("pool_kernel_too_large", "kernel_size", "pooling kernel %d×%d is larger than the padded input %d×%d",
				arg("k_h", s.Kernel[0]), arg("k_w", s.Kernel[1]), arg("padded_h", ph), arg("padded_w", pw))
		}
		return nil, errf("pool_dilated_kernel_too_large", "kernel_size", "pooling kernel %d×%d with dilation %d×%d spans %d×%d cells, more than the padded input %d×%d",
			arg("k_h", s.Kernel[0]), arg("k_w", s.Kernel[1]), arg("d_h", s.Dilation[0]), arg("d_w", s.Dilation[1]),
			arg("span_h", s.Dilation[0]*(s.Kernel[0]-1)+1), arg("span_w", s.Dilation[1]*(s.Kernel[1]-1)+1), arg("padded_h", ph), arg("padded_w", pw))
	}
	return p, nil
}

// XLen is the input length for a batch of n.
func (p *Pool) XLen(n int) int { return n * p.C * p.InH * p.InW }

// OutLen is the output length for a batch of n.
func (p *Pool) OutLen(n int) int { return n * p.C * p.OutH * p.OutW }

func (p *Pool) check(n int, x, y []float32, idx []int32) {
	if len(x) != p.XLen(n) || len(y) != p.OutLen(n) || (idx != nil && len(idx) != p.OutLen(n)) {
		panic("conv: pooling slice has the wrong length")
	}
}

// axis is the window of output index o along axis a (0 rows, 1 columns):
// its first cell in input coordinates (negative inside the padding), the
// first and one-past-last kernel taps that land inside the input, and the
// span PyTorch's average counts with padding (clipped at the far padding).
func (p *Pool) axis(o, a int) (start, k0, k1, padSpan int) {
	size, k, d := p.InH, p.Kernel[a], p.Dilation[a]
	if a == 1 {
		size = p.InW
	}
	start = o*p.Stride[a] - p.Padding[a]
	k0 = 0
	for k0 < k && start+k0*d < 0 {
		k0++
	}
	k1 = k
	for k1 > k0 && start+(k1-1)*d >= size {
		k1--
	}
	padSpan = min(start+k, size+p.Padding[a]) - start
	return start, k0, k1, padSpan
}

// maxAt is the max of window (oy, ox) of one plane and the index
// iy·InW+ix of the winner: the first maximum, a NaN beats everything and
// the last NaN wins (PyTorch's CPU kernel). A window with no input cell
// (possible only with dilation) gives −Inf at −1.
func (p *Pool) maxAt(xs []float32, oy, ox int) (float32, int32) {
	ys, ky0, ky1, _ := p.axis(oy, 0)
	xs0, kx0, kx1, _ := p.axis(ox, 1)
	best, bi := float32(math.Inf(-1)), int32(-1)
	for ky := ky0; ky < ky1; ky++ {
		iy := ys + ky*p.Dilation[0]
		for kx := kx0; kx < kx1; kx++ {
			i := iy*p.InW + xs0 + kx*p.Dilation[1]
			if v := xs[i]; v > best || bi < 0 || v != v {
				best, bi = v, int32(i)
			}
		}
	}
	return best, bi
}

// avgDivisor is the divisor of window (oy, ox): PyTorch's pool size (the
// window clipped to the padded input) with count_include_pad, else the
// number of input cells under it.
func (p *Pool) avgDivisor(oy, ox int) int {
	_, ky0, ky1, spanY := p.axis(oy, 0)
	_, kx0, kx1, spanX := p.axis(ox, 1)
	if p.ExcludePad {
		return (ky1 - ky0) * (kx1 - kx0)
	}
	return spanY * spanX
}

// MaxForward computes y = max_pool2d(x) for a batch of n (x n×C×InH×InW,
// y n×C×OutH×OutW). idx, if not nil, receives for each output the index
// iy·InW+ix of the input cell that won (the first maximum; a NaN beats
// everything and the last NaN wins, as in PyTorch's CPU kernel), for
// MaxBackward: PyTorch's return_indices=True.
func (p *Pool) MaxForward(y []float32, idx []int32, x []float32, n int) {
	// The fast path knows MaxPool2d(2) only: no dilation, and every window
	// inside the input (ceil_mode may add a window cut by the edge).
	if p.is2x2() && p.Dilation == [2]int{1, 1} && 2*p.OutH <= p.InH && 2*p.OutW <= p.InW {
		p.maxForward2x2(y, idx, x, n) // MaxPool2d(2), the MNIST networks' pooling
		return
	}
	p.maxForwardGeneric(y, idx, x, n)
}

// maxForwardGeneric is MaxForward for any pool; the test oracle of maxForward2x2.
func (p *Pool) maxForwardGeneric(y []float32, idx []int32, x []float32, n int) {
	p.check(n, x, y, idx)
	inPlane, outPlane := p.InH*p.InW, p.OutH*p.OutW
	for pl := range n * p.C {
		xs := x[pl*inPlane : (pl+1)*inPlane]
		for oy := range p.OutH {
			for ox := range p.OutW {
				best, bi := p.maxAt(xs, oy, ox)
				o := pl*outPlane + oy*p.OutW + ox
				y[o] = best
				if idx != nil {
					idx[o] = bi
				}
			}
		}
	}
}

// MaxBackward routes dy to the winning cells recorded by MaxForward.
// dx is overwritten.
func (p *Pool) MaxBackward(dx, dy []float32, idx []int32, n int) {
	p.check(n, dx, dy, idx)
	if idx == nil {
		panic("conv: MaxBackward needs the indices from MaxForward")
	}
	clear(dx)
	inPlane, outPlane := p.InH*p.InW, p.OutH*p.OutW
	for pl := range n * p.C {
		for o := range outPlane {
			if i := idx[pl*outPlane+o]; i >= 0 {
				dx[pl*inPlane+int(i)] += dy[pl*outPlane+o]
			}
		}
	}
}

// AvgForward computes y = avg_pool2d(x): each window's sum (float64) over
// its divisor (see PoolSpec.ExcludePad; with ceil_mode a window cut by the
// end of the padded input divides by fewer cells, as in PyTorch).
func (p *Pool) AvgForward(y, x []float32, n int) {
	p.check(n, x, y, nil)
	p.checkAvg()
	inPlane, outPlane := p.InH*p.InW, p.OutH*p.OutW
	for pl := range n * p.C {
		xs := x[pl*inPlane : (pl+1)*inPlane]
		for oy := range p.OutH {
			ys, ky0, ky1, _ := p.axis(oy, 0)
			for ox := range p.OutW {
				xs0, kx0, kx1, _ := p.axis(ox, 1)
				var s float64
				for ky := ky0; ky < ky1; ky++ {
					for kx := kx0; kx < kx1; kx++ {
						s += float64(xs[(ys+ky)*p.InW+xs0+kx])
					}
				}
				y[pl*outPlane+oy*p.OutW+ox] = float32(s / float64(p.avgDivisor(oy, ox)))
			}
		}
	}
}

// AvgBackward spreads dy evenly over each window (dy over the window's
// divisor to each input cell under it). dx is overwritten.
func (p *Pool) AvgBackward(dx, dy []float32, n int) {
	p.check(n, dx, dy, nil)
	p.checkAvg()
	clear(dx)
	inPlane, outPlane := p.InH*p.InW, p.OutH*p.OutW
	for pl := range n * p.C {
		for oy := range p.OutH {
			ys, ky0, ky1, _ := p.axis(oy, 0)
			for ox := range p.OutW {
				xs0, kx0, kx1, _ := p.axis(ox, 1)
				d := dy[pl*outPlane+oy*p.OutW+ox] / float32(p.avgDivisor(oy, ox))
				for ky := ky0; ky < ky1; ky++ {
					for kx := kx0; kx < kx1; kx++ {
						dx[pl*inPlane+(ys+ky)*p.InW+xs0+kx] += d
					}
				}
			}
		}
	}
}

func (p *Pool) checkAvg() {
	if p.Dilation != [2]int{1, 1} {
		panic("conv: average pooling with dilation (resolve it with ResolveAvg)")
	}
}
