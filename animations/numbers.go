package animations

import (
	"image"
	"math"
	"strconv"

	"github.com/convlab/convlab/conv"
)

// MinNumbersCell is the smallest cell, in pixels, that numbers are drawn in.
const MinNumbersCell = 24

// NumbersInput is the input a Numbers animation shows: InH×InW small whole
// numbers 0..3 in a fixed pattern, so every output is a small whole number.
func NumbersInput(g *conv.Geometry) []float32 {
	x := make([]float32, g.InH*g.InW)
	for y := range g.InH {
		for c := range g.InW {
			x[y*g.InW+c] = float32((2*y + 3*c + y*c) % 4)
		}
	}
	return x
}

// NumbersWeights is the kernel a Numbers animation uses: KH×KW weights
// 0..2 (for 3×3 the kernel of the guide's numerical example,
// [[0 1 2] [2 2 0] [0 1 2]]).
func NumbersWeights(g *conv.Geometry) []float32 {
	kh, kw := g.KernelSize[0], g.KernelSize[1]
	w := make([]float32, kh*kw)
	if kh == 3 && kw == 3 {
		copy(w, []float32{0, 1, 2, 2, 2, 0, 0, 1, 2})
		return w
	}
	for i := range w {
		w[i] = float32((i*5 + i/kw) % 3)
	}
	return w
}

// glyphs are 3×5 bitmaps of the digits and the minus sign, one row per
// byte, the top three bits of each row from left to right.
var glyphs = map[byte][5]uint8{
	'0': {0b111, 0b101, 0b101, 0b101, 0b111},
	'1': {0b010, 0b110, 0b010, 0b010, 0b111},
	'2': {0b111, 0b001, 0b111, 0b100, 0b111},
	'3': {0b111, 0b001, 0b111, 0b001, 0b111},
	'4': {0b101, 0b101, 0b111, 0b001, 0b001},
	'5': {0b111, 0b100, 0b111, 0b001, 0b111},
	'6': {0b111, 0b100, 0b111, 0b101, 0b111},
	'7': {0b111, 0b001, 0b010, 0b010, 0b010},
	'8': {0b111, 0b101, 0b111, 0b101, 0b111},
	'9': {0b111, 0b101, 0b111, 0b001, 0b111},
	'-': {0b000, 0b000, 0b111, 0b000, 0b000},
	'.': {0b000, 0b000, 0b000, 0b000, 0b010},
}

// numText formats a value the engine computed (a whole number here).
func numText(v float32) string {
	return strconv.Itoa(int(math.Round(float64(v))))
}

// textSize is the pixel size of s drawn at scale k.
func textSize(s string, k int) (w, h int) {
	return len(s)*3*k + (len(s)-1)*k, 5 * k
}

// text draws s with its top-left corner at (x, y), each font pixel k×k.
func (pt *painter) text(s string, x, y, k int, c uint8) {
	for i := 0; i < len(s); i++ {
		g := glyphs[s[i]]
		gx := x + i*4*k
		for row := range 5 {
			for col := range 3 {
				if g[row]&(0b100>>col) != 0 {
					pt.fill(image.Rect(gx+col*k, y+row*k, gx+(col+1)*k, y+(row+1)*k), c)
				}
			}
		}
	}
}

// centredText draws s in the middle of the cell whose top-left pixel is (x, y).
func (pt *painter) centredText(s string, x, y int) {
	cs := pt.l.Cell
	k := max(1, cs/12)
	w, h := textSize(s, k)
	pt.text(s, x+(cs-w)/2, y+(cs-h)/2, k, cOutline)
}

// cornerText draws s small in the bottom-right corner of the cell, inside
// the window's outline.
func (pt *painter) cornerText(s string, x, y int) {
	cs := pt.l.Cell
	w, h := textSize(s, 1)
	pt.text(s, x+cs-3-w, y+cs-3-h, 1, cOutline)
}
