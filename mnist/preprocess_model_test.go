package mnist

import (
	"math/rand/v2"
	"testing"
)

// enlarge draws a 28×28 MNIST digit as a user might on a big canvas: scaled
// up k times (bilinear, so strokes stay smooth) at offset (ox, oy) of a
// w×h canvas.
func enlarge(img []float32, k, ox, oy, w, h int) []float32 {
	out := make([]float32, w*h)
	for y := range 28 * k {
		fy := (float64(y)+0.5)/float64(k) - 0.5
		for x := range 28 * k {
			fx := (float64(x)+0.5)/float64(k) - 0.5
			out[(oy+y)*w+ox+x] = bilinear(img, fx, fy)
		}
	}
	return out
}

func bilinear(img []float32, fx, fy float64) float32 {
	at := func(x, y int) float64 {
		if x < 0 || y < 0 || x >= 28 || y >= 28 {
			return 0
		}
		return float64(img[y*28+x])
	}
	x0, y0 := int(fx+1)-1, int(fy+1)-1 // floor for fx >= -1
	ax, ay := fx-float64(x0), fy-float64(y0)
	v := (1-ay)*((1-ax)*at(x0, y0)+ax*at(x0+1, y0)) + ay*((1-ax)*at(x0, y0+1)+ax*at(x0+1, y0+1))
	return float32(v)
}

func predicted(p [Classes]float32) int {
	best := 0
	for i, v := range p {
		if v > p[best] {
			best = i
		}
	}
	return best
}

// A digit drawn large and off-centre on a canvas, once preprocessed, is
// recognised like the original MNIST digit: Preprocess produces what the
// network was trained on.
func TestPreprocessedDrawingsAreRecognised(t *testing.T) {
	net := Shipped()
	if net == nil {
		t.Fatalf("no shipped model: %v", ShippedErr())
	}
	_, test := loadReal(t)
	rng := rand.New(rand.NewPCG(1, 2))
	n := 300
	if testing.Short() {
		n = 60 // the race run
	}
	dst := make([]float32, Pixels)
	agree, correct, correctOrig := 0, 0, 0
	for i := range n {
		img := test.Image(i)
		k := 3 + rng.IntN(8) // 84..280 pixels tall
		w, h := 28*k+rng.IntN(200), 28*k+rng.IntN(200)
		ox, oy := rng.IntN(w-28*k+1), rng.IntN(h-28*k+1)
		if err := Preprocess(dst, enlarge(img, k, ox, oy, w, h), w, h); err != nil {
			t.Fatal(err)
		}
		po, pp := net.Predict(img), net.Predict(dst)
		orig, pre := predicted(po), predicted(pp)
		if orig == pre {
			agree++
		}
		if pre == int(test.Labels[i]) {
			correct++
		}
		if orig == int(test.Labels[i]) {
			correctOrig++
		}
	}
	t.Logf("%d of %d drawings predicted as their original (accuracy %d/%d drawn, %d/%d original)", agree, n, correct, n, correctOrig, n)
	if agree < n*97/100 {
		t.Errorf("only %d of %d enlarged, shifted digits get the original's prediction after Preprocess", agree, n)
	}
}
