package conv

import "math"

// PoolSpec describes torch.nn.MaxPool2d / AvgPool2d (ceil_mode=False,
// dilation 1, count_include_pad=True). A zero Stride means Stride = Kernel,
// as in PyTorch.
type PoolSpec struct {
	Kernel  [2]int
	Stride  [2]int
	Padding [2]int
}

// Pool is a PoolSpec resolved against C channels of InH × InW.
type Pool struct {
	PoolSpec
	C, InH, InW, OutH, OutW int
}

// Resolve checks the pooling as PyTorch does and computes the output size.
func (s PoolSpec) Resolve(c, inH, inW int) (*Pool, error) {
	for i := range 2 {
		if s.Stride[i] == 0 {
			s.Stride[i] = s.Kernel[i]
		}
		if s.Kernel[i] < 1 || s.Kernel[i] > MaxDim {
			return nil, errf("pool_kernel_range", "kernel_size", "pooling kernel_size must be between 1 and %d, got %dx%d", arg("max", MaxDim), arg("h", s.Kernel[0]), arg("w", s.Kernel[1]))
		}
		if s.Stride[i] < 1 || s.Stride[i] > MaxDim {
			return nil, errf("pool_stride_range", "stride", "pooling stride must be between 1 and %d, got %dx%d", arg("max", MaxDim), arg("h", s.Stride[0]), arg("w", s.Stride[1]))
		}
		if s.Padding[i] < 0 {
			return nil, errf("pool_padding_negative", "padding", "pooling padding cannot be negative, got %dx%d", arg("h", s.Padding[0]), arg("w", s.Padding[1]))
		}
		if 2*s.Padding[i] > s.Kernel[i] {
			return nil, errf("pool_padding_over_half", "padding", "pooling padding must be at most half the kernel size: padding %dx%d, kernel %dx%d",
				arg("pad_h", s.Padding[0]), arg("pad_w", s.Padding[1]), arg("k_h", s.Kernel[0]), arg("k_w", s.Kernel[1]))
		}
	}
	if c < 1 || inH < 1 || inW < 1 {
		return nil, errf("pool_input_empty", "input", "pooling needs a non-empty input, got %dx%dx%d", arg("c", c), arg("h", inH), arg("w", inW))
	}
	p := &Pool{PoolSpec: s, C: c, InH: inH, InW: inW}
	p.OutH = (inH+2*s.Padding[0]-s.Kernel[0])/s.Stride[0] + 1
	p.OutW = (inW+2*s.Padding[1]-s.Kernel[1])/s.Stride[1] + 1
	if inH+2*s.Padding[0] < s.Kernel[0] || inW+2*s.Padding[1] < s.Kernel[1] || p.OutH < 1 || p.OutW < 1 {
		return nil, errf("pool_kernel_too_large", "kernel_size", "pooling kernel %dx%d is larger than the padded input %dx%d",
			arg("k_h", s.Kernel[0]), arg("k_w", s.Kernel[1]), arg("padded_h", inH+2*s.Padding[0]), arg("padded_w", inW+2*s.Padding[1]))
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

// MaxForward computes y = max_pool2d(x) for a batch of n (x n×C×InH×InW,
// y n×C×OutH×OutW). idx, if not nil, receives for each output the index
// iy·InW+ix of the input cell that won (the first maximum; a NaN beats
// everything and the last NaN wins, as in PyTorch's CPU kernel), for
// MaxBackward.
func (p *Pool) MaxForward(y []float32, idx []int32, x []float32, n int) {
	if p.is2x2() {
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
			y0 := oy*p.Stride[0] - p.Padding[0]
			for ox := range p.OutW {
				x0 := ox*p.Stride[1] - p.Padding[1]
				best, bi := float32(math.Inf(-1)), int32(-1)
				for ky := max(y0, 0); ky < min(y0+p.Kernel[0], p.InH); ky++ {
					for kx := max(x0, 0); kx < min(x0+p.Kernel[1], p.InW); kx++ {
						v := xs[ky*p.InW+kx]
						if v > best || bi < 0 || v != v {
							best, bi = v, int32(ky*p.InW+kx)
						}
					}
				}
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

// AvgForward computes y = avg_pool2d(x) (padding counts as zeros in the
// divisor, PyTorch's count_include_pad=True).
func (p *Pool) AvgForward(y, x []float32, n int) {
	p.check(n, x, y, nil)
	inPlane, outPlane := p.InH*p.InW, p.OutH*p.OutW
	div := float64(p.Kernel[0] * p.Kernel[1])
	for pl := range n * p.C {
		for oy := range p.OutH {
			y0 := oy*p.Stride[0] - p.Padding[0]
			for ox := range p.OutW {
				x0 := ox*p.Stride[1] - p.Padding[1]
				var s float64
				for ky := max(y0, 0); ky < min(y0+p.Kernel[0], p.InH); ky++ {
					for kx := max(x0, 0); kx < min(x0+p.Kernel[1], p.InW); kx++ {
						s += float64(x[pl*inPlane+ky*p.InW+kx])
					}
				}
				y[pl*outPlane+oy*p.OutW+ox] = float32(s / div)
			}
		}
	}
}

// AvgBackward spreads dy evenly over each window. dx is overwritten.
func (p *Pool) AvgBackward(dx, dy []float32, n int) {
	p.check(n, dx, dy, nil)
	clear(dx)
	inPlane, outPlane := p.InH*p.InW, p.OutH*p.OutW
	div := float32(p.Kernel[0] * p.Kernel[1])
	for pl := range n * p.C {
		for oy := range p.OutH {
			y0 := oy*p.Stride[0] - p.Padding[0]
			for ox := range p.OutW {
				x0 := ox*p.Stride[1] - p.Padding[1]
				d := dy[pl*outPlane+oy*p.OutW+ox] / div
				for ky := max(y0, 0); ky < min(y0+p.Kernel[0], p.InH); ky++ {
					for kx := max(x0, 0); kx < min(x0+p.Kernel[1], p.InW); kx++ {
						dx[pl*inPlane+ky*p.InW+kx] += d
					}
				}
			}
		}
	}
}
