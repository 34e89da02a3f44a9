package mnist

import (
	"fmt"
	"math"
)

// Preprocessing constants, following how MNIST itself was made: each digit
// was size-normalised to fit a 20×20 box (keeping its aspect ratio, with
// anti-aliasing) and then centred in a 28×28 image by its centre of mass.
const (
	MaxDrawingSide = 1024 // largest accepted width or height of a drawing
	FitSide        = 20   // the digit is scaled to fit FitSide×FitSide
	InkThreshold   = 0.1  // values below count as paper, not ink
)

// Preprocess turns a raw drawing into MNIST's form and writes it to dst
// (784 values, 28×28 row-major). src holds w×h values in row-major order,
// 0 = background and 1 = ink (white digit on black, like MNIST); values
// outside [0,1] are clamped and non-finite ones treated as 0. The steps:
//
//  1. values below InkThreshold become 0 (stray marks, canvas noise);
//  2. crop to the bounding box of the ink;
//  3. scale that box to fit 20×20 keeping its aspect ratio, each output
//     pixel being the area-weighted mean of the source pixels it covers
//     (anti-aliasing when shrinking, smooth when enlarging);
//  4. stretch the values so the brightest pixel is 1 (a thin pen stroke
//     shrunk from a large canvas would otherwise be faint);
//  5. place the result in the 28×28 field shifted by whole pixels so its
//     centre of mass lands as close as possible to pixel (14, 14), without
//     any ink leaving the field. Measured with pixel indices (pixel x has
//     coordinate x), this is where MNIST's own digits have theirs: the mean
//     over the test set is (14.0, 14.0), half a pixel right of and below
//     the field's geometric centre (13.5, 13.5).
//
// An empty drawing gives all zeros. Wrong sizes return an error (the
// caller's input is at fault); Preprocess never panics and never writes
// NaN.
func Preprocess(dst []float32, src []float32, w, h int) error {
	return preprocessInto(dst, src, w, h, nil)
}

// PreprocessSteps records what Preprocess did, so that a page can show each
// step as an image (the draw page: crop → fit 20×20 → centre by mass).
type PreprocessSteps struct {
	DrawW, DrawH int       // the drawing's size
	Empty        bool      // no ink: the other fields are zero
	X, Y, W, H   int       // step 2: the ink's bounding box in the drawing
	Crop         []float32 // the drawing inside the box, W×H, cleaned (step 1)
	FitW, FitH   int       // step 3: the box's size scaled to fit 20×20
	Fit          []float32 // FitW×FitH, stretched so the brightest pixel is 1 (step 4)
	OffX, OffY   int       // step 5: where Fit's top-left corner lands in 28×28
}

// PreprocessWithSteps is Preprocess that also returns its steps.
func PreprocessWithSteps(dst []float32, src []float32, w, h int) (PreprocessSteps, error) {
	st := PreprocessSteps{DrawW: w, DrawH: h}
	err := preprocessInto(dst, src, w, h, &st)
	return st, err
}

// Drawing hints for a student: the ink is small, or touches the edge.
const (
	HintNone  = ""
	HintSmall = "small" // the ink's box is less than SmallDrawing of the pad's side
	HintEdge  = "edge"  // the ink touches the drawing's border
)

// SmallDrawing is the fraction of the pad's shorter side below which a
// drawing's larger side counts as small.
const SmallDrawing = 0.3

// Hint says whether the drawing is very small ("small") or touches the
// edge ("edge"; a digit cut by the border cannot be read whole), else "".
// Small wins: a tiny digit in a corner should first be drawn bigger.
func (s PreprocessSteps) Hint() string {
	switch {
	case s.Empty:
		return HintNone
	case float64(max(s.W, s.H)) < SmallDrawing*float64(min(s.DrawW, s.DrawH)):
		return HintSmall
	case s.X == 0 || s.Y == 0 || s.X+s.W == s.DrawW || s.Y+s.H == s.DrawH:
		return HintEdge
	}
	return HintNone
}

func preprocessInto(dst []float32, src []float32, w, h int, st *PreprocessSteps) error {
	if len(dst) != Pixels {
		return fmt.Errorf("mnist: Preprocess: destination has %d values, want %d (28×28)", len(dst), Pixels)
	}
	if w < 1 || h < 1 || w > MaxDrawingSide || h > MaxDrawingSide {
		return fmt.Errorf("mnist: drawing is %d×%d; width and height must be 1..%d", w, h, MaxDrawingSide)
	}
	if len(src) != w*h {
		return fmt.Errorf("mnist: drawing of %d×%d needs %d values, got %d", w, h, w*h, len(src))
	}
	clear(dst)

	// 1, 2: clean values and find the ink's bounding box.
	x0, y0, x1, y1 := w, h, -1, -1 // inclusive box
	for y := range h {
		row := src[y*w : (y+1)*w]
		for x, v := range row {
			if clean(v) > 0 {
				x0, x1 = min(x0, x), max(x1, x)
				y0, y1 = min(y0, y), max(y1, y)
			}
		}
	}
	if x1 < 0 {
		if st != nil {
			st.Empty = true
		}
		return nil // no ink
	}
	bw, bh := x1-x0+1, y1-y0+1
	if st != nil {
		st.X, st.Y, st.W, st.H = x0, y0, bw, bh
		st.Crop = make([]float32, bw*bh)
		for y := range bh {
			for x := range bw {
				st.Crop[y*bw+x] = clean(src[(y0+y)*w+x0+x])
			}
		}
	}

	// 3: scale to fit FitSide×FitSide.
	scale := float64(FitSide) / float64(max(bw, bh))
	nw := min(FitSide, max(1, int(math.Round(float64(bw)*scale))))
	nh := min(FitSide, max(1, int(math.Round(float64(bh)*scale))))
	// Each output pixel covers sx×sy source pixels.
	sx := float64(bw) / float64(nw)
	sy := float64(bh) / float64(nh)
	var small [FitSide * FitSide]float64
	var peak float64
	for oy := range nh {
		fy0, fy1 := float64(oy)*sy, float64(oy+1)*sy
		for ox := range nw {
			fx0, fx1 := float64(ox)*sx, float64(ox+1)*sx
			var sum float64
			for iy := int(fy0); iy < h && float64(iy) < fy1 && iy < bh; iy++ {
				cy := math.Min(fy1, float64(iy+1)) - math.Max(fy0, float64(iy))
				if cy <= 0 {
					continue
				}
				row := src[(y0+iy)*w+x0:]
				for ix := int(fx0); float64(ix) < fx1 && ix < bw; ix++ {
					cx := math.Min(fx1, float64(ix+1)) - math.Max(fx0, float64(ix))
					if cx <= 0 {
						continue
					}
					sum += cx * cy * float64(clean(row[ix]))
				}
			}
			v := sum / (sx * sy)
			small[oy*FitSide+ox] = v
			peak = max(peak, v)
		}
	}
	if !(peak > 0) {
		if st != nil {
			*st = PreprocessSteps{DrawW: w, DrawH: h, Empty: true}
		}
		return nil
	}

	// 4, and the centre of mass of the scaled digit in pixel indices.
	var mass, mx, my float64
	for oy := range nh {
		for ox := range nw {
			v := small[oy*FitSide+ox] / peak
			small[oy*FitSide+ox] = v
			mass += v
			mx += v * float64(ox)
			my += v * float64(oy)
		}
	}
	mx /= mass
	my /= mass

	// 5: shift so the centre of mass sits at pixel (14, 14), keeping the
	// digit inside the field.
	offX := clampInt(int(math.Round(ImageSize/2-mx)), 0, ImageSize-nw)
	offY := clampInt(int(math.Round(ImageSize/2-my)), 0, ImageSize-nh)
	if st != nil {
		st.FitW, st.FitH, st.OffX, st.OffY = nw, nh, offX, offY
		st.Fit = make([]float32, nw*nh)
		for oy := range nh {
			for ox := range nw {
				st.Fit[oy*nw+ox] = float32(min(1, max(0, small[oy*FitSide+ox])))
			}
		}
	}
	for oy := range nh {
		for ox := range nw {
			v := small[oy*FitSide+ox]
			dst[(offY+oy)*ImageSize+offX+ox] = float32(min(1, max(0, v)))
		}
	}
	return nil
}

// clean maps a raw drawing value to [0,1] ink, with noise removed.
func clean(v float32) float32 {
	if !(v >= InkThreshold) { // also catches NaN
		return 0
	}
	if v > 1 { // +Inf too
		return 1
	}
	return v
}

func clampInt(v, lo, hi int) int {
	return max(lo, min(hi, v))
}
