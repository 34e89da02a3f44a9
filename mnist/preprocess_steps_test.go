package mnist

import (
	"slices"
	"testing"
)

// rectDrawing is a w×h drawing with ink (value v) in the box [x0,x1)×[y0,y1).
func rectDrawing(w, h, x0, y0, x1, y1 int, v float32) []float32 {
	d := make([]float32, w*h)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			d[y*w+x] = v
		}
	}
	return d
}

func TestPreprocessWithSteps(t *testing.T) {
	const side = 112
	src := rectDrawing(side, side, 30, 20, 50, 80, 0.8) // a 20×60 bar
	src[5*side+5] = 0.05                                // noise below InkThreshold
	want := make([]float32, Pixels)
	if err := Preprocess(want, src, side, side); err != nil {
		t.Fatal(err)
	}
	got := make([]float32, Pixels)
	st, err := PreprocessWithSteps(got, src, side, side)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatal("PreprocessWithSteps and Preprocess write different inputs")
	}
	if st.Empty || st.X != 30 || st.Y != 20 || st.W != 20 || st.H != 60 || len(st.Crop) != 20*60 {
		t.Fatalf("box %d,%d %d×%d (crop %d values), want 30,20 20×60", st.X, st.Y, st.W, st.H, len(st.Crop))
	}
	for i, v := range st.Crop {
		if v != 0.8 {
			t.Fatalf("crop[%d] = %v, want 0.8", i, v)
		}
	}
	// 20×60 fits 20×20 as 7×20 (60 → 20, 20 → 6.67 → 7).
	if st.FitW != 7 || st.FitH != 20 || len(st.Fit) != 7*20 {
		t.Fatalf("fit %d×%d, want 7×20", st.FitW, st.FitH)
	}
	// Step 5 is Fit placed at (OffX, OffY): rebuilding it gives the input.
	rebuilt := make([]float32, Pixels)
	for y := range st.FitH {
		copy(rebuilt[(st.OffY+y)*ImageSize+st.OffX:], st.Fit[y*st.FitW:(y+1)*st.FitW])
	}
	if !slices.Equal(rebuilt, got) {
		t.Error("Fit placed at (OffX, OffY) is not the input")
	}
	if st.Hint() != HintNone {
		t.Errorf("hint %q for a centred bar of 60 px on 112", st.Hint())
	}
}

func TestPreprocessHints(t *testing.T) {
	const side = 112
	for _, tc := range []struct {
		name           string
		x0, y0, x1, y1 int
		want           string
	}{
		{"big and centred", 30, 10, 70, 100, HintNone},
		{"tiny in a corner", 2, 2, 20, 30, HintSmall},
		{"tiny touching the corner", 0, 0, 15, 20, HintSmall},
		{"just big enough", 40, 40, 50, 74, HintNone}, // 34 ≥ 0.3·112
		{"touches the left edge", 0, 10, 40, 100, HintEdge},
		{"touches the bottom", 30, 20, 70, side, HintEdge},
		{"touches the right edge", 60, 10, side, 90, HintEdge},
	} {
		st, err := PreprocessWithSteps(make([]float32, Pixels), rectDrawing(side, side, tc.x0, tc.y0, tc.x1, tc.y1, 1), side, side)
		if err != nil || st.Hint() != tc.want {
			t.Errorf("%s: hint %q (%v), want %q", tc.name, st.Hint(), err, tc.want)
		}
	}
	st, err := PreprocessWithSteps(make([]float32, Pixels), make([]float32, 16), 4, 4)
	if err != nil || !st.Empty || st.Hint() != HintNone || st.Crop != nil {
		t.Errorf("empty drawing: %+v, %v", st, err)
	}
}
