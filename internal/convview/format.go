package convview

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/convlab/convlab/views"
)

// How numbers look on the page: the cell text, the shade and sign classes,
// and the colours of the pictures.

func paren(v string) string {
	if strings.HasPrefix(v, "-") {
		return "(" + v + ")"
	}
	return v
}

// fmtNum writes a value for a cell: whole numbers as they are, others with
// at most two decimals (halves away from zero).
func fmtNum(v float32) string {
	f := float64(v)
	if f == math.Trunc(f) && math.Abs(f) < 1e9 {
		if f == 0 {
			return "0"
		}
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	r := math.Round(f*100) / 100
	if r == 0 {
		return "0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// FormatNum is fmtNum for other packages' tests.
func FormatNum(v float32) string { return fmtNum(v) }

// shadeClass buckets a value for the cell background: s0 (lowest) .. s4.
func shadeClass(v, lo, hi float32) string {
	if hi <= lo {
		return "s0"
	}
	b := int(float64(v-lo) / float64(hi-lo) * 4.999)
	return "s" + strconv.Itoa(min(max(b, 0), 4))
}

// signClass marks negative and positive values (blue / orange, not red /
// green).
func signClass(v float32) string {
	switch {
	case v < 0:
		return "neg"
	case v > 0:
		return "pos"
	}
	return "zero"
}

func minMax(v []float32) (lo, hi float32) {
	if len(v) == 0 {
		return 0, 0
	}
	lo, hi = v[0], v[0]
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	return
}

// grayImage draws values as grey levels (min black, max white).
func grayImage(id, label string, v []float32, h, w int) views.ConvImage {
	img := views.ConvImage{ID: id, Label: label, W: w, H: h}
	lo, hi := minMax(v)
	for i, x := range v {
		l := 0.0
		if hi > lo {
			l = float64(x-lo) / float64(hi-lo)
		}
		c := int(math.Round(l * 255))
		img.Pixels = append(img.Pixels, views.ConvPixel{X: i % w, Y: i / w, Fill: fmt.Sprintf("#%02x%02x%02x", c, c, c)})
	}
	return img
}

// divergingImage draws signed values: blue below zero, white at zero,
// orange above (colour-blind safe).
func divergingImage(id, label string, v []float32, h, w int) views.ConvImage {
	img := views.ConvImage{ID: id, Label: label, W: w, H: h}
	lo, hi := minMax(v)
	m := math.Max(math.Abs(float64(lo)), math.Abs(float64(hi)))
	for i, x := range v {
		img.Pixels = append(img.Pixels, views.ConvPixel{X: i % w, Y: i / w, Fill: divergingFill(float64(x), m)})
	}
	return img
}

// pendingFill is an output pixel the filter has not reached yet.
const pendingFill = "#e4e7eb"

func divergingFill(x, m float64) string {
	if m == 0 {
		return "#ffffff"
	}
	t := math.Max(-1, math.Min(1, x/m))
	// white → orange #E69F00 for t>0, white → blue #0072B2 for t<0
	to := [3]float64{0xE6, 0x9F, 0x00}
	if t < 0 {
		to = [3]float64{0x00, 0x72, 0xB2}
		t = -t
	}
	var c [3]int
	for i := range c {
		c[i] = int(math.Round(255 + (to[i]-255)*t))
	}
	return fmt.Sprintf("#%02x%02x%02x", c[0], c[1], c[2])
}
