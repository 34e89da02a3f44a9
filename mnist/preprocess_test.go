package mnist

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// canvas is a w×h drawing with rectangles of ink.
type canvas struct {
	w, h int
	pix  []float32
}

func newCanvas(w, h int) *canvas { return &canvas{w, h, make([]float32, w*h)} }

// fill sets the rectangle [x0,x1)×[y0,y1) to v.
func (c *canvas) fill(x0, y0, x1, y1 int, v float32) *canvas {
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			c.pix[y*c.w+x] = v
		}
	}
	return c
}

func preprocess(t *testing.T, c *canvas) []float32 {
	t.Helper()
	dst := make([]float32, Pixels)
	if err := Preprocess(dst, c.pix, c.w, c.h); err != nil {
		t.Fatal(err)
	}
	for i, v := range dst {
		if !(v >= 0 && v <= 1) {
			t.Fatalf("output %d = %v, outside [0,1]", i, v)
		}
	}
	return dst
}

// stats are the ink bounding box (inclusive) and the centre of mass of a
// 28×28 image in pixel indices.
type stats struct {
	x0, y0, x1, y1 int
	cx, cy         float64
	peak           float32
}

func measure(img []float32) stats {
	s := stats{x0: 28, y0: 28, x1: -1, y1: -1}
	var m float64
	for y := range 28 {
		for x := range 28 {
			v := img[y*28+x]
			if v <= 0 {
				continue
			}
			s.x0, s.x1 = min(s.x0, x), max(s.x1, x)
			s.y0, s.y1 = min(s.y0, y), max(s.y1, y)
			m += float64(v)
			s.cx += float64(v) * float64(x)
			s.cy += float64(v) * float64(y)
			s.peak = max(s.peak, v)
		}
	}
	s.cx /= m
	s.cy /= m
	return s
}

func TestPreprocessCentredBoxStaysCentred(t *testing.T) {
	// A 20×20 square in the middle of a 100×100 canvas fills the 20×20 box
	// exactly. Its centre of mass (9.5, 9.5) goes as close to pixel
	// (14, 14) as whole-pixel shifts allow: rows and columns 5..24, like
	// MNIST's own digits, whose centre of mass is on average at (14, 14).
	got := measure(preprocess(t, newCanvas(100, 100).fill(40, 40, 60, 60, 1)))
	want := stats{x0: 5, y0: 5, x1: 24, y1: 24, cx: 14.5, cy: 14.5, peak: 1}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestPreprocessCentresOffCentreStrokes(t *testing.T) {
	for _, c := range []struct {
		name string
		cv   *canvas
	}{
		{"top-left blob", newCanvas(200, 200).fill(5, 10, 45, 60, 0.8)},
		{"bottom-right stroke", newCanvas(300, 120).fill(250, 100, 295, 110, 1)},
		{"L shape", newCanvas(64, 64).fill(2, 2, 8, 40, 1).fill(2, 34, 30, 40, 1)},
		{"single pixel", newCanvas(50, 50).fill(49, 0, 50, 1, 1)},
		{"thin diagonal-ish", func() *canvas {
			cv := newCanvas(280, 280)
			for i := 0; i < 200; i++ {
				cv.fill(20+i, 30+i/2, 26+i, 36+i/2, 1)
			}
			return cv
		}()},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := measure(preprocess(t, c.cv))
			// Whole-pixel shifts put the centre of mass within half a pixel.
			if math.Abs(s.cx-14) > 0.5 || math.Abs(s.cy-14) > 0.5 {
				t.Errorf("centre of mass (%.2f, %.2f), want within 0.5 of (14, 14)", s.cx, s.cy)
			}
			// The longer side of the ink is scaled to 20 pixels.
			if w, h := s.x1-s.x0+1, s.y1-s.y0+1; max(w, h) != 20 {
				t.Errorf("ink box %d×%d, want the longer side 20", w, h)
			}
			if s.peak != 1 {
				t.Errorf("brightest pixel %v, want 1", s.peak)
			}
		})
	}
}

func TestPreprocessKeepsAspectRatio(t *testing.T) {
	for _, c := range []struct {
		name         string
		cv           *canvas
		wantW, wantH int
	}{
		{"tall 1:4", newCanvas(200, 200).fill(90, 20, 110, 100, 1), 5, 20},
		{"wide 5:1", newCanvas(200, 200).fill(10, 90, 110, 110, 1), 20, 4},
		{"wide on a tall canvas", newCanvas(30, 300).fill(0, 10, 30, 25, 1), 20, 10},
		{"small, enlarged 2:1", newCanvas(28, 28).fill(10, 12, 16, 15, 1), 20, 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := measure(preprocess(t, c.cv))
			if w, h := s.x1-s.x0+1, s.y1-s.y0+1; w != c.wantW || h != c.wantH {
				t.Fatalf("ink box %d×%d, want %d×%d", w, h, c.wantW, c.wantH)
			}
		})
	}
}

func TestPreprocessEmptyAndNoise(t *testing.T) {
	dst := make([]float32, Pixels)
	for i := range dst {
		dst[i] = 7 // must be overwritten
	}
	noisy := newCanvas(64, 64).fill(0, 0, 64, 64, 0.05) // faint everywhere
	nan := float32(math.NaN())
	weird := newCanvas(8, 8)
	weird.pix[3] = nan
	weird.pix[5] = -3
	for _, cv := range []*canvas{newCanvas(64, 64), noisy, weird} {
		if err := Preprocess(dst, cv.pix, cv.w, cv.h); err != nil {
			t.Fatal(err)
		}
		for i, v := range dst {
			if v != 0 {
				t.Fatalf("pixel %d = %v for a drawing with no ink, want 0", i, v)
			}
		}
	}
	// Faint noise next to a real stroke does not move or shrink it.
	clean := preprocess(t, newCanvas(100, 100).fill(40, 30, 60, 70, 1))
	dirty := newCanvas(100, 100).fill(40, 30, 60, 70, 1)
	dirty.pix[0], dirty.pix[99*100+99] = 0.09, 0.05
	if got := preprocess(t, dirty); fmt.Sprint(got) != fmt.Sprint(clean) {
		t.Fatal("faint specks in the corners changed the result")
	}
	// Out-of-range values are clamped: +Inf and 5 count as full ink.
	hot := newCanvas(100, 100).fill(40, 30, 60, 70, 5)
	hot.pix[50*100+50] = float32(math.Inf(1))
	if got := preprocess(t, hot); fmt.Sprint(got) != fmt.Sprint(clean) {
		t.Fatal("values above 1 were not treated as full ink")
	}
}

func TestPreprocessRejectsBadSizes(t *testing.T) {
	for _, c := range []struct {
		name    string
		dst     int
		src     int
		w, h    int
		wantMsg string
	}{
		{"short dst", 783, 4, 2, 2, "destination has 783 values"},
		{"zero width", 784, 0, 0, 5, "width and height must be 1..1024"},
		{"negative height", 784, 4, 4, -1, "must be 1..1024"},
		{"too wide", 784, 2000, 2000, 1, "2000×1"},
		{"src too short", 784, 15, 4, 4, "needs 16 values, got 15"},
		{"src too long", 784, 17, 4, 4, "needs 16 values, got 17"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := Preprocess(make([]float32, c.dst), make([]float32, c.src), c.w, c.h)
			if err == nil || !strings.Contains(err.Error(), c.wantMsg) {
				t.Fatalf("err = %v, want it to say %q", err, c.wantMsg)
			}
		})
	}
}

// MNIST digits are already in this form, so preprocessing one hardly
// moves it: its centre of mass stays within a pixel, and on average in
// place (a systematic offset would show up as a mean shift).
func TestPreprocessKeepsMNISTDigits(t *testing.T) {
	_, test := loadReal(t)
	dst := make([]float32, Pixels)
	far := 0
	var sumX, sumY float64
	const n = 2000
	for i := range n {
		img := test.Image(i)
		if err := Preprocess(dst, img, 28, 28); err != nil {
			t.Fatal(err)
		}
		a, b := measure(img), measure(dst)
		sumX += b.cx - a.cx
		sumY += b.cy - a.cy
		if math.Abs(a.cx-b.cx) > 1 || math.Abs(a.cy-b.cy) > 1 {
			far++
		}
	}
	if far > n/100 {
		t.Errorf("%d of %d MNIST digits moved more than a pixel", far, n)
	}
	if mx, my := sumX/n, sumY/n; math.Abs(mx) > 0.1 || math.Abs(my) > 0.1 {
		t.Errorf("MNIST digits moved by (%.3f, %.3f) on average, want about 0", mx, my)
	}
}

// A lot of ink on a large canvas: 512×512 costs one pass over the pixels.
func BenchmarkPreprocess512(b *testing.B) {
	cv := newCanvas(512, 512)
	for i := range 400 {
		cv.fill(50+i/2, 40+i, 90+i/2, 60+i, 1)
	}
	dst := make([]float32, Pixels)
	b.ReportAllocs()
	for b.Loop() {
		if err := Preprocess(dst, cv.pix, cv.w, cv.h); err != nil {
			b.Fatal(err)
		}
	}
}

// ExamplePreprocess shows what happens to a small drawing: a 3-pixel-wide,
// 6-pixel-tall bar in the corner of a 10×10 canvas becomes a 10×20 bar in
// the middle of the 28×28 field (printed at half resolution).
func ExamplePreprocess() {
	const w, h = 10, 10
	drawing := make([]float32, w*h)
	for y := 0; y < 6; y++ {
		for x := 0; x < 3; x++ {
			drawing[y*w+x] = 1
		}
	}
	img := make([]float32, 28*28)
	if err := Preprocess(img, drawing, w, h); err != nil {
		fmt.Println(err)
		return
	}
	for y := 0; y < 28; y += 2 {
		var row strings.Builder
		for x := 0; x < 28; x += 2 {
			if img[y*28+x] > 0.5 {
				row.WriteByte('#')
			} else {
				row.WriteByte('.')
			}
		}
		fmt.Println(row.String())
	}
	// Output:
	// ..............
	// ..............
	// ..............
	// .....#####....
	// .....#####....
	// .....#####....
	// .....#####....
	// .....#####....
	// .....#####....
	// .....#####....
	// .....#####....
	// .....#####....
	// .....#####....
	// ..............
}
