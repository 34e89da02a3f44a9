package conv

import "math"

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
			maxRows2x2(yr, ir, r0, r1, base, int32(inW))
		}
	}
}

// maxRows2x2 pools one pair of input rows: yr[ox] is the maximum of
// r0[2ox], r0[2ox+1], r1[2ox], r1[2ox+1] under MaxForward's rule (the
// first maximum wins; a NaN beats everything and the last NaN wins) and
// ir[ox] (if ir is not nil) its index base + (0, 1, inW or inW+1) + 2ox.
// Without branches:
// each comparison becomes a mask that selects bits (on activations the
// winner's position is random, and mispredicted branches made this loop a
// third of a training step).
func maxRows2x2(yr []float32, ir []int32, r0, r1 []float32, base, inW int32) {
	r0, r1 = r0[:2*len(yr)], r1[:2*len(yr)]
	for ox := range yr {
		ix := 2 * ox
		a := r0[ix : ix+2 : ix+2]
		c := r1[ix : ix+2 : ix+2]
		best, bb, bi := a[0], math.Float32bits(a[0]), int32(0)
		v := a[1]
		m := -(b2u(v > best) | b2u(v != v))
		bb = bb&^m | math.Float32bits(v)&m
		bi |= 1 & int32(m)
		best = math.Float32frombits(bb)
		v = c[0]
		m = -(b2u(v > best) | b2u(v != v))
		bb = bb&^m | math.Float32bits(v)&m
		bi = bi&^int32(m) | inW&int32(m)
		best = math.Float32frombits(bb)
		v = c[1]
		m = -(b2u(v > best) | b2u(v != v))
		bb = bb&^m | math.Float32bits(v)&m
		bi = bi&^int32(m) | (inW+1)&int32(m)
		yr[ox] = math.Float32frombits(bb)
		if ir != nil {
			ir[ox] = base + int32(ix) + bi
		}
	}
}

// b2u is 1 for true, 0 for false (compiled to a flag read, no branch).
func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}
