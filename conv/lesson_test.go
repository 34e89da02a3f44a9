package conv

import "testing"

// The lesson's own numbers (../shared/seed): the first window of the 5x5
// example under the cross-shaped filter makes 8.
func TestLessonWindowMakes8(t *testing.T) {
	g, err := Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{3, 3}}.Resolve(3, 3)
	if err != nil {
		t.Fatal(err)
	}
	x := []float32{1, 2, 3, 0, 1, 5, 1, 0, 2}
	w := []float32{1, 0, 1, 0, 1, 0, 1, 0, 1}
	y := make([]float32, 1)
	ForwardNaive(g, y, x, w, nil, 1)
	if y[0] != 8 {
		t.Fatalf("window sum = %v, want 8", y[0])
	}
	st := TraceStep(g, x, w, nil, 0, 0, 0)
	if st.Sum != 8 || len(st.Taps) != 9 || st.Taps[5].Product != 0 || st.Taps[2].Product != 3 {
		t.Fatalf("trace = %+v", st)
	}
}

func TestLessonOutputSizes(t *testing.T) {
	for _, tc := range []struct {
		in, k, s, p int
		want        int
	}{
		{4, 3, 1, 0, 2}, {28, 3, 1, 0, 26}, {28, 3, 1, 1, 28}, {28, 3, 2, 1, 14}, {5, 3, 2, 0, 2}, {5, 3, 1, 2, 7},
	} {
		g, err := Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{tc.k, tc.k}, Stride: [2]int{tc.s, tc.s}, Padding: [2]int{tc.p, tc.p}}.Resolve(tc.in, tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if g.OutH != tc.want || g.OutW != tc.want {
			t.Errorf("%+v: got %dx%d", tc, g.OutH, g.OutW)
		}
	}
}
