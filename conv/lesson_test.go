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

// The lesson's examples are in the PyTorch fixtures by name: their output
// sizes are PyTorch's, and the 5x5 example's first output is 8 there too.
func TestLessonNumbersArePyTorchs(t *testing.T) {
	gf := loadGolden(t)
	want := map[string][2]int{
		"lesson: 4x4, 3x3 kernel":                        {2, 2},
		"lesson: 28x28, 3x3 kernel":                      {26, 26},
		"lesson: 28x28, 3x3 kernel, padding 1":           {28, 28},
		"lesson: 28x28, 3x3 kernel, stride 2, padding 1": {14, 14},
		"lesson: 5x5, 3x3 kernel, stride 2":              {2, 2},
		"lesson: 5x5, 3x3 kernel, padding 2":             {7, 7},
		"lesson: 5x5 input, cross filter":                {3, 3},
	}
	for i := range gf.Conv {
		c := &gf.Conv[i]
		hw, ok := want[c.Name]
		if !ok {
			continue
		}
		delete(want, c.Name)
		if got := [2]int{c.OutShape[2], c.OutShape[3]}; got != hw {
			t.Errorf("%s: PyTorch's output is %v, the lesson says %v", c.Name, got, hw)
		}
		g, err := c.Spec.Spec().Resolve(c.InH, c.InW)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if g.OutH != hw[0] || g.OutW != hw[1] {
			t.Errorf("%s: we say %dx%d, the lesson %v", c.Name, g.OutH, g.OutW, hw)
		}
		if c.Name == "lesson: 5x5 input, cross filter" {
			if c.Y[0] != 8 {
				t.Errorf("PyTorch's first output of the lesson's example is %v, not 8", c.Y[0])
			}
			if st := TraceStep(g, c.X, c.W, nil, 0, 0, 0); st.Sum != c.Y[0] {
				t.Errorf("traced first step sums to %v, PyTorch %v", st.Sum, c.Y[0])
			}
		}
	}
	for name := range want {
		t.Errorf("fixture %q missing: regenerate with /usr/bin/python3 scripts/gen_conv_golden.py", name)
	}
}

// The lesson's window, tap by tap: 1*1 + 2*0 + 3*1 + 0*0 + 1*1 + 5*0 + 1*1 + 0*0 + 2*1.
func TestLessonWindowProducts(t *testing.T) {
	g, err := Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{3, 3}}.Resolve(5, 5)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 25)
	copy(x[0:3], []float32{1, 2, 3})
	copy(x[5:8], []float32{0, 1, 5})
	copy(x[10:13], []float32{1, 0, 2})
	w := []float32{1, 0, 1, 0, 1, 0, 1, 0, 1}
	st := TraceStep(g, x, w, nil, 0, 0, 0)
	wantIn := []float32{1, 2, 3, 0, 1, 5, 1, 0, 2}
	wantProd := []float32{1, 0, 3, 0, 1, 0, 1, 0, 2}
	for i, tp := range st.Taps {
		if tp.Input != wantIn[i] || tp.Weight != w[i] || tp.Product != wantProd[i] || tp.Kind != Real ||
			tp.Y != i/3 || tp.X != i%3 || tp.SrcY != i/3 || tp.SrcX != i%3 {
			t.Errorf("tap %d = %+v, want %v*%v = %v at (%d,%d)", i, tp, wantIn[i], w[i], wantProd[i], i/3, i%3)
		}
	}
	if st.Sum != 8 || st.ChannelSums[0] != 8 {
		t.Errorf("sum %v (channel %v), want 8", st.Sum, st.ChannelSums)
	}
}

// The conv-arithmetic pictures the lesson shows: how many steps, taps and
// padding cells each has.
func TestLessonAnimationsCounts(t *testing.T) {
	for _, tc := range []struct {
		name                string
		in, k, s, p         int
		out, steps, padCell int
	}{
		{"no_padding_no_strides", 4, 3, 1, 0, 2, 4, 0},
		{"no_padding_strides", 5, 3, 2, 0, 2, 4, 0},
		{"full_padding_no_strides", 5, 3, 1, 2, 7, 49, 9*9 - 5*5},
		{"28x28 MNIST, padding 1", 28, 3, 1, 1, 28, 784, 30*30 - 28*28},
	} {
		g, err := Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{tc.k, tc.k}, Stride: [2]int{tc.s, tc.s}, Padding: [2]int{tc.p, tc.p}}.Resolve(tc.in, tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		pads := 0
		for _, row := range g.Grid() {
			for _, c := range row {
				if c.Kind == ZeroPad {
					pads++
				}
			}
		}
		if g.OutH != tc.out || g.OutW != tc.out || g.StepCount() != tc.steps || pads != tc.padCell ||
			g.MACs() != tc.steps*tc.k*tc.k || g.ParamCount() != tc.k*tc.k {
			t.Errorf("%s: out %dx%d, %d steps, %d padding cells, %d MACs, %d params; want %d, %d, %d, %d, %d",
				tc.name, g.OutH, g.OutW, g.StepCount(), pads, g.MACs(), g.ParamCount(), tc.out, tc.steps, tc.padCell, tc.steps*tc.k*tc.k, tc.k*tc.k)
		}
	}
}
