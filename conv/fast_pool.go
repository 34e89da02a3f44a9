package conv

// Fast max pooling for the common case of the MNIST networks (2×2 kernel,
// stride 2, no padding). pool.go (owned by the correctness work) can
// dispatch to it from MaxForward:
//
//	if p.is2x2() { p.maxForward2x2(y, idx, x, n); return }
//
// It computes exactly what the generic loop computes: the same cells in
// the same order (ky, then kx) under the same rule (the first maximum
// wins; a NaN beats everything and the last NaN wins), so y and idx are
// bit-identical (TestMaxForward2x2MatchesGeneric).

// is2x2 reports whether the fast 2×2, stride 2, unpadded path applies.
func (p *Pool) is2x2() bool {
	return p.Kernel == [2]int{2, 2} && p.Stride == [2]int{2, 2} && p.Padding == [2]int{}
}

// maxForward2x2 is MaxForward for is2x2 pools.
func (p *Pool) maxForward2x2(y []float32, idx []int32, x []float32, n int) {
	p.check(n, x, y, idx)
	inW, inPlane, outPlane := p.InW, p.InH*p.InW, p.OutH*p.OutW
	for pl := range n * p.C {
		xs := x[pl*inPlane : (pl+1)*inPlane]
		ys := y[pl*outPlane : (pl+1)*outPlane]
		var is []int32
		if idx != nil {
			is = idx[pl*outPlane : (pl+1)*outPlane]
		}
		for oy := range p.OutH {
			r0 := xs[2*oy*inW : 2*oy*inW+inW]
			r1 := xs[(2*oy+1)*inW : (2*oy+1)*inW+inW]
			yr := ys[oy*p.OutW : oy*p.OutW+p.OutW]
			base := int32(2 * oy * inW)
			var ir []int32
			if is != nil {
				ir = is[oy*p.OutW : oy*p.OutW+len(yr)]
			}
			for ox := range yr {
				ix := 2 * ox
				a := r0[ix : ix+2 : ix+2]
				c := r1[ix : ix+2 : ix+2]
				best, bi := a[0], base+int32(ix)
				if v := a[1]; v > best || v != v {
					best, bi = v, base+int32(ix+1)
				}
				if v := c[0]; v > best || v != v {
					best, bi = v, base+int32(inW+ix)
				}
				if v := c[1]; v > best || v != v {
					best, bi = v, base+int32(inW+ix+1)
				}
				yr[ox] = best
				if ir != nil {
					ir[ox] = bi
				}
			}
		}
	}
}
