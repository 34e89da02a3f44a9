package mnist

import (
	"math"
	"math/rand/v2"
)

// Ranges of the random augmentation (TrainConfig.Augment): rotation,
// scale and shift are drawn uniformly from ±AugmentRotate degrees,
// 1±AugmentScale and ±AugmentShift pixels; the stroke thickness changes
// with probability 1/3 each way.
const (
	AugmentRotate = 15.0
	AugmentScale  = 0.15
	AugmentShift  = 3.0
	// AugmentThicken and AugmentThin bound the strength of the stroke
	// change: a blend towards the dilated (or eroded) image. Thinning is
	// gentler because a full erosion erases MNIST's 2-pixel strokes.
	AugmentThicken = 1.0
	AugmentThin    = 0.5
)

// Augmentation is one random change of a 28×28 digit: an affine map about
// the image centre (13.5, 13.5) followed by a change of stroke thickness.
// The zero value with Scale 1 is the identity.
type Augmentation struct {
	Rotate float64 // degrees, counterclockwise on screen
	Scale  float64 // 1 keeps the size
	DX, DY float64 // shift in pixels (right, down)
	// Thickness > 0 thickens the strokes (a blend of the image and its
	// grey dilation with a plus-shaped 3×3 element, Thickness the weight
	// of the dilation), < 0 thins them (the same with erosion), 0 keeps them.
	Thickness float64
}

// Identity is the augmentation that changes nothing.
var Identity = Augmentation{Scale: 1}

// RandomAugmentation draws an augmentation from r. It always draws the
// same number of values, so a sequence from one seed is reproducible.
func RandomAugmentation(r *rand.Rand) Augmentation {
	a := Augmentation{
		Rotate: (2*r.Float64() - 1) * AugmentRotate,
		Scale:  1 + (2*r.Float64()-1)*AugmentScale,
		DX:     (2*r.Float64() - 1) * AugmentShift,
		DY:     (2*r.Float64() - 1) * AugmentShift,
	}
	kind, strength := r.IntN(3), r.Float64()
	switch kind {
	case 1:
		a.Thickness = strength * AugmentThicken
	case 2:
		a.Thickness = -strength * AugmentThin
	}
	return a
}

// Apply writes src (28×28 pixel bytes) changed by a to dst as float32 in
// [0,1]; scratch is a buffer of Pixels floats (used when the thickness
// changes). The affine part samples src bilinearly at the inverse-mapped
// position of each output pixel, with zeros outside the image, so the
// identity gives exactly convertPixels' values and a shift moves the
// centre of mass by exactly (DX, DY) while the digit stays inside.
// It allocates nothing.
func (a Augmentation) Apply(dst []float32, src []uint8, scratch []float32) {
	if len(dst) < Pixels || len(src) < Pixels || len(scratch) < Pixels {
		panic("mnist: Augmentation.Apply: buffers shorter than 784")
	}
	out := dst
	if a.Thickness != 0 {
		out = scratch
	}
	a.affine(out[:Pixels], src[:Pixels])
	switch {
	case a.Thickness > 0:
		morph(dst[:Pixels], scratch[:Pixels], a.Thickness, true)
	case a.Thickness < 0:
		morph(dst[:Pixels], scratch[:Pixels], -a.Thickness, false)
	}
}

// affine: for output pixel p, the source position is
// c + R(-θ)·(p - c - t)/s with c the centre, θ the rotation, t the shift.
func (a Augmentation) affine(dst []float32, src []uint8) {
	const c = (ImageSize - 1) / 2.0
	s := a.Scale
	if s == 0 {
		s = 1
	}
	// Rotating counterclockwise on screen (y down) by θ maps
	// (x, y) → (x cos θ + y sin θ, -x sin θ + y cos θ); the inverse rotates by -θ.
	sin, cos := math.Sincos(a.Rotate * math.Pi / 180)
	for y := range ImageSize {
		for x := range ImageSize {
			u, v := (float64(x)-c-a.DX)/s, (float64(y)-c-a.DY)/s
			sx := c + cos*u - sin*v
			sy := c + sin*u + cos*v
			dst[y*ImageSize+x] = sampleBilinear(src, sx, sy)
		}
	}
}

// sampleBilinear samples src at (x, y) with zeros outside. At whole-number
// positions it returns the pixel's exact value.
func sampleBilinear(src []uint8, x, y float64) float32 {
	if x <= -1 || y <= -1 || x >= ImageSize || y >= ImageSize || x != x || y != y {
		return 0
	}
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := float32(x-x0), float32(y-y0)
	ix, iy := int(x0), int(y0)
	at := func(i, j int) float32 {
		if i < 0 || j < 0 || i >= ImageSize || j >= ImageSize {
			return 0
		}
		return byteToUnit[src[j*ImageSize+i]]
	}
	v := at(ix, iy)
	if fx != 0 {
		v = v*(1-fx) + at(ix+1, iy)*fx
	}
	if fy != 0 {
		w := at(ix, iy+1)
		if fx != 0 {
			w = w*(1-fx) + at(ix+1, iy+1)*fx
		}
		v = v*(1-fy) + w*fy
	}
	return v
}

// morph writes to dst the blend (1-w)·src + w·m, where m is src's grey
// dilation (max) or erosion (min) over a pixel and its four neighbours
// (outside the image counts as 0).
func morph(dst, src []float32, w float64, dilate bool) {
	wf := float32(w)
	for y := range ImageSize {
		for x := range ImageSize {
			i := y*ImageSize + x
			m := src[i]
			for _, d := range [4][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}} {
				nx, ny := x+d[0], y+d[1]
				var v float32
				if nx >= 0 && ny >= 0 && nx < ImageSize && ny < ImageSize {
					v = src[ny*ImageSize+nx]
				}
				if dilate {
					m = max(m, v)
				} else {
					m = min(m, v)
				}
			}
			dst[i] = src[i] + wf*(m-src[i])
		}
	}
}

// AugmentedSamples returns n augmentations of img (28×28 bytes) drawn from
// the seed, with the images they make: what training with Augment sees.
func AugmentedSamples(img []uint8, seed uint64, n int) ([]Augmentation, [][]float32) {
	r := rand.New(rand.NewPCG(seed, 0x6175676d656e74))
	scratch := make([]float32, Pixels)
	augs := make([]Augmentation, n)
	imgs := make([][]float32, n)
	for i := range n {
		augs[i] = RandomAugmentation(r)
		imgs[i] = make([]float32, Pixels)
		augs[i].Apply(imgs[i], img, scratch)
	}
	return augs, imgs
}
