package animations

import (
	"image"
	"image/color"
	"testing"

	"github.com/convlab/convlab/conv"
)

// readNumber reads the number drawn (in black, with the 3×5 font at scale
// cs/12) in the cell whose top-left pixel is (x0, y0), or "" if there is none.
func readNumber(t *testing.T, img *image.RGBA, x0, y0, cs int) string {
	t.Helper()
	black := func(x, y int) bool { return same(img.At(x, y), color.RGBA{0, 0, 0, 0xff}) }
	// Inside the cell, away from the edges (the window outline is black too)
	// and from the bottom-right corner where a weight may be written.
	minX, minY, maxX, maxY := 1<<30, 1<<30, -1, -1
	for y := y0 + 3; y < y0+cs-3; y++ {
		for x := x0 + 3; x < x0+cs-3; x++ {
			if black(x, y) && !(x > x0+cs-10 && y > y0+cs-10) {
				minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
			}
		}
	}
	if maxX < 0 {
		return ""
	}
	k := max(1, cs/12)
	w := maxX - minX + 1
	n := (w + k) / (4 * k)
	if n*4*k-k != w || maxY-minY+1 != 5*k {
		t.Fatalf("text at (%d,%d) is %dx%d pixels: not whole glyphs of scale %d", x0, y0, w, maxY-minY+1, k)
	}
	var s []byte
	for i := range n {
		var g [5]uint8
		for row := range 5 {
			for col := range 3 {
				if black(minX+i*4*k+col*k+k/2, minY+row*k+k/2) {
					g[row] |= 0b100 >> col
				}
			}
		}
		found := false
		for ch, want := range glyphs {
			if g == want {
				s, found = append(s, ch), true
				break
			}
		}
		if !found {
			t.Fatalf("glyph %d at (%d,%d) is not a digit: %03b", i, x0, y0, g)
		}
	}
	return string(s)
}

// With numbers on, the input cells show NumbersInput, and in the last frame
// every output cell shows what the engine's forward pass computes from that
// input and NumbersWeights (checked against conv.ForwardNaive, not the trace
// the renderer drew from).
func TestNumbersShowEngineOutputs(t *testing.T) {
	for _, p := range []Params{
		{Input: sq(4), Kernel: sq(3), Numbers: true},
		{Input: sq(5), Kernel: sq(3), Stride: sq(2), Padding: sq(1), Numbers: true},
		{Input: sq(7), Kernel: sq(3), Dilation: sq(2), Numbers: true},
		{Input: sq(3), Kernel: sq(3), Stride: sq(2), Padding: sq(1), OutputPadding: sq(1), Transposed: true, Numbers: true},
		{Input: [2]int{3, 4}, Kernel: [2]int{2, 3}, Numbers: true},
	} {
		g, err := p.Resolve()
		if err != nil {
			t.Fatal(err)
		}
		l, err := newLayout(g)
		if err != nil {
			t.Fatal(err)
		}
		x, w := NumbersInput(g), NumbersWeights(g)
		y := make([]float32, g.OutLen(1))
		conv.ForwardNaive(g, y, x, w, nil, 1)
		a := decode(t, p)
		last := compose(t, a, len(a.Image)-1)
		for oy := range g.OutH {
			for ox := range g.OutW {
				got := readNumber(t, last, l.ox+ox*l.Cell, l.oy+oy*l.Cell, l.Cell)
				if want := numText(y[oy*g.OutW+ox]); got != want {
					t.Errorf("%s: output (%d,%d) shows %q, the engine computes %s", p.Key(), oy, ox, got, want)
				}
			}
		}
		for gy := range g.PaddedH() {
			for gx := range g.PaddedW() {
				cell := g.CellAt(gy, gx)
				got := readNumber(t, last, l.gx+gx*l.Cell, l.gy+gy*l.Cell, l.Cell)
				want := ""
				if cell.Kind == conv.Real {
					want = numText(x[cell.SrcY*g.InW+cell.SrcX])
				}
				if got != want {
					t.Errorf("%s: grid cell (%d,%d) %s shows %q, want %q", p.Key(), gy, gx, cell.Kind, got, want)
				}
			}
		}
		// A frame in progress: outputs not computed yet are blank.
		mid := len(a.Image) / 2
		img := compose(t, a, mid)
		for k := range g.OutH * g.OutW {
			got := readNumber(t, img, l.ox+(k%g.OutW)*l.Cell, l.oy+(k/g.OutW)*l.Cell, l.Cell)
			if (k <= mid) != (got != "") {
				t.Errorf("%s frame %d: output %d shows %q", p.Key(), mid, k, got)
			}
		}
	}
}

func TestNumbersNeedRoom(t *testing.T) {
	p := Params{Input: [2]int{32, 12}, Kernel: sq(1), Numbers: true}
	if _, err := Measure(p); !IsUserError(err) {
		t.Fatalf("Measure: %v, want a user error", err)
	}
	for _, f := range []func(Params) ([]byte, error){Render, Still} {
		_, err := f(p)
		var e *Error
		if !IsUserError(err) || !asError(err, &e) || e.Param != "numbers" {
			t.Errorf("numbers in tiny cells: %v", err)
		}
	}
	p.Numbers = false
	if _, err := Measure(p); err != nil {
		t.Errorf("the same without numbers: %v", err)
	}
	if p.Key() == (Params{Input: [2]int{32, 12}, Kernel: sq(1), Numbers: true}).Key() {
		t.Error("numbers on and off share a key")
	}
}

func asError(err error, e **Error) bool {
	v, ok := err.(*Error)
	*e = v
	return ok
}
