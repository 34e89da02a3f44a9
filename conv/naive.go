package conv

// This file is the test oracle: the definition of convolution written as
// plainly as possible, accumulating in float64. The fast paths are checked
// against it, and it is checked against PyTorch. Do not optimise it.

func checkLens(g *Geometry, n int, x, w, b, y []float32) {
	if n < 0 {
		panic("conv: negative batch size")
	}
	if x != nil && len(x) != g.XLen(n) {
		panic("conv: input slice has the wrong length")
	}
	if w != nil && len(w) != g.WeightLen() {
		panic("conv: weight slice has the wrong length")
	}
	if b != nil && len(b) != g.OutChannels {
		panic("conv: bias slice has the wrong length")
	}
	if y != nil && len(y) != g.OutLen(n) {
		panic("conv: output slice has the wrong length")
	}
}

// ForwardNaive computes y = conv(x, w) + b for a batch of n, where
// x is n×InC×InH×InW, w has g.WeightShape(), b is OutC or nil, and
// y is n×OutC×OutH×OutW (overwritten). Works for Conv2d and ConvTranspose2d.
func ForwardNaive(g *Geometry, y, x, w, b []float32, n int) {
	checkLens(g, n, x, w, b, y)
	if x == nil || w == nil || y == nil {
		panic("conv: nil input, weight or output")
	}
	if g.Transposed {
		transposedForwardNaive(g, y, x, w, b, n)
		return
	}
	cinG, coutG := g.InChannels/g.Groups, g.OutChannels/g.Groups
	kh, kw := g.KernelSize[0], g.KernelSize[1]
	for ni := range n {
		for oc := range g.OutChannels {
			grp := oc / coutG
			for oy := range g.OutH {
				for ox := range g.OutW {
					var s float64
					if b != nil {
						s = float64(b[oc])
					}
					for ci := range cinG {
						c := grp*cinG + ci
						for ky := range kh {
							sy, _ := SourceIndex(g.PaddingMode, oy*g.Stride[0]+ky*g.Dilation[0], g.PadTop, g.InH)
							for kx := range kw {
								sx, _ := SourceIndex(g.PaddingMode, ox*g.Stride[1]+kx*g.Dilation[1], g.PadLeft, g.InW)
								// A zero-padding cell is multiplied too, as PyTorch
								// does: 0·Inf is NaN there as well.
								var xv float32
								if sy >= 0 && sx >= 0 {
									xv = x[((ni*g.InChannels+c)*g.InH+sy)*g.InW+sx]
								}
								wv := w[((oc*cinG+ci)*kh+ky)*kw+kx]
								s += float64(xv) * float64(wv)
							}
						}
					}
					y[((ni*g.OutChannels+oc)*g.OutH+oy)*g.OutW+ox] = float32(s)
				}
			}
		}
	}
}

func transposedForwardNaive(g *Geometry, y, x, w, b []float32, n int) {
	cinG, coutG := g.InChannels/g.Groups, g.OutChannels/g.Groups
	kh, kw := g.KernelSize[0], g.KernelSize[1]
	acc := make([]float64, len(y))
	for ni := range n {
		for c := range g.InChannels {
			grp := c / cinG
			for iy := range g.InH {
				for ix := range g.InW {
					xv := float64(x[((ni*g.InChannels+c)*g.InH+iy)*g.InW+ix])
					for oc := range coutG {
						o := grp*coutG + oc
						for ky := range kh {
							oy := iy*g.Stride[0] - g.PadTop + ky*g.Dilation[0]
							if oy < 0 || oy >= g.OutH {
								continue
							}
							for kx := range kw {
								ox := ix*g.Stride[1] - g.PadLeft + kx*g.Dilation[1]
								if ox < 0 || ox >= g.OutW {
									continue
								}
								acc[((ni*g.OutChannels+o)*g.OutH+oy)*g.OutW+ox] += xv * float64(w[((c*coutG+oc)*kh+ky)*kw+kx])
							}
						}
					}
				}
			}
		}
	}
	plane := g.OutH * g.OutW
	for i := range y {
		v := acc[i]
		if b != nil {
			v += float64(b[(i/plane)%g.OutChannels])
		}
		y[i] = float32(v)
	}
}

// BackwardNaive computes the gradients of a loss with respect to x, w and b
// given dy, its gradient with respect to y (n×OutC×OutH×OutW), and the
// forward inputs x and w. dx, dw and db are overwritten; any of them may be
// nil to skip it. Works for Conv2d and ConvTranspose2d.
func BackwardNaive(g *Geometry, dx, dw, db, dy, x, w []float32, n int) {
	checkLens(g, n, x, w, db, dy)
	checkLens(g, n, dx, dw, nil, nil)
	if dy == nil || (dw != nil && x == nil) || (dx != nil && w == nil) {
		panic("conv: backward is missing an operand")
	}
	cinG, coutG := g.InChannels/g.Groups, g.OutChannels/g.Groups
	kh, kw := g.KernelSize[0], g.KernelSize[1]
	var adx, adw, adb []float64
	if dx != nil {
		adx = make([]float64, len(dx))
	}
	if dw != nil {
		adw = make([]float64, len(dw))
	}
	if db != nil {
		adb = make([]float64, len(db))
	}
	plane := g.OutH * g.OutW
	if adb != nil {
		for i, v := range dy {
			adb[(i/plane)%g.OutChannels] += float64(v)
		}
	}
	if g.Transposed {
		for ni := range n {
			for c := range g.InChannels {
				grp := c / cinG
				for iy := range g.InH {
					for ix := range g.InW {
						xi := ((ni*g.InChannels+c)*g.InH+iy)*g.InW + ix
						for oc := range coutG {
							o := grp*coutG + oc
							for ky := range kh {
								oy := iy*g.Stride[0] - g.PadTop + ky*g.Dilation[0]
								if oy < 0 || oy >= g.OutH {
									continue
								}
								for kx := range kw {
									ox := ix*g.Stride[1] - g.PadLeft + kx*g.Dilation[1]
									if ox < 0 || ox >= g.OutW {
										continue
									}
									d := float64(dy[((ni*g.OutChannels+o)*g.OutH+oy)*g.OutW+ox])
									wi := ((c*coutG+oc)*kh+ky)*kw + kx
									if adx != nil {
										adx[xi] += d * float64(w[wi])
									}
									if adw != nil {
										adw[wi] += d * float64(x[xi])
									}
								}
							}
						}
					}
				}
			}
		}
	} else {
		for ni := range n {
			for oc := range g.OutChannels {
				grp := oc / coutG
				for oy := range g.OutH {
					for ox := range g.OutW {
						d := float64(dy[((ni*g.OutChannels+oc)*g.OutH+oy)*g.OutW+ox])
						for ci := range cinG {
							c := grp*cinG + ci
							for ky := range kh {
								sy, _ := SourceIndex(g.PaddingMode, oy*g.Stride[0]+ky*g.Dilation[0], g.PadTop, g.InH)
								for kx := range kw {
									sx, _ := SourceIndex(g.PaddingMode, ox*g.Stride[1]+kx*g.Dilation[1], g.PadLeft, g.InW)
									wi := ((oc*cinG+ci)*kh+ky)*kw + kx
									if sy < 0 || sx < 0 { // zero padding: no input to update, 0·d for the weight
										if adw != nil {
											adw[wi] += d * 0
										}
										continue
									}
									xi := ((ni*g.InChannels+c)*g.InH+sy)*g.InW + sx
									if adx != nil {
										adx[xi] += d * float64(w[wi])
									}
									if adw != nil {
										adw[wi] += d * float64(x[xi])
									}
								}
							}
						}
					}
				}
			}
		}
	}
	for i, v := range adx {
		dx[i] = float32(v)
	}
	for i, v := range adw {
		dw[i] = float32(v)
	}
	for i, v := range adb {
		db[i] = float32(v)
	}
}
