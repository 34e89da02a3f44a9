package conv

import (
	"errors"
	"testing"
)

// FuzzResolve: Resolve never panics, errors are *Error naming a PyTorch
// parameter, and an accepted geometry is one the kernels can run: the
// traced first and last steps agree with ForwardNaive.
func FuzzResolve(f *testing.F) {
	f.Add(1, 1, 3, 3, 1, 1, 0, 0, 1, 1, 1, "", "zeros", false, 0, 0, 5, 5)
	f.Add(4, 6, 2, 4, 1, 1, 0, 0, 3, 1, 2, "same", "circular", false, 0, 0, 3, 3)
	f.Add(2, 2, 3, 2, 2, 3, 1, 0, 2, 1, 2, "", "zeros", true, 1, 2, 3, 2)
	f.Add(1, 1, 2, 2, 1, 1, -1, -2, 1, 1, 1, "", "replicate", false, 0, 0, 4, 6)
	f.Add(3, 3, 5, 5, 1, 1, 4, 4, 1, 1, 3, "", "reflect", false, 0, 0, 5, 5)
	f.Fuzz(func(t *testing.T, cin, cout, kh, kw, sh, sw, ph, pw, dh, dw, groups int, pstr, mode string, transposed bool, oph, opw, inH, inW int) {
		s := Spec{InChannels: cin, OutChannels: cout, KernelSize: [2]int{kh, kw}, Stride: [2]int{sh, sw},
			Padding: [2]int{ph, pw}, PaddingStr: pstr, Dilation: [2]int{dh, dw}, Groups: groups, Bias: true,
			PaddingMode: PaddingMode(mode), Transposed: transposed, OutputPadding: [2]int{oph, opw}}
		g, err := s.Resolve(inH, inW)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || ce.Param == "" || ce.Msg == "" {
				t.Fatalf("%+v on %dx%d: error %#v is not a *conv.Error with Param and Msg", s, inH, inW, err)
			}
			return
		}
		if g.OutH < 1 || g.OutW < 1 || g.OutH > MaxDim || g.OutW > MaxDim || g.PaddedH() < 1 || g.PaddedW() < 1 {
			t.Fatalf("%+v on %dx%d: accepted with output %dx%d, grid %dx%d", s, inH, inW, g.OutH, g.OutW, g.PaddedH(), g.PaddedW())
		}
		if g.XLen(1) > 4096 || g.WeightLen() > 4096 || g.OutLen(1) > 4096 || g.MACs() > 1<<20 {
			return // run only small ones
		}
		x, w, b := make([]float32, g.XLen(1)), make([]float32, g.WeightLen()), make([]float32, g.OutChannels)
		for i := range x {
			x[i] = float32(i%7) - 3
		}
		for i := range w {
			w[i] = float32(i%5) - 2
		}
		y := make([]float32, g.OutLen(1))
		ForwardNaive(g, y, x, w, b, 1)
		for _, i := range []int{0, len(y) - 1} {
			oc, oy, ox := i/(g.OutH*g.OutW), i/g.OutW%g.OutH, i%g.OutW
			if st := TraceStep(g, x, w, b, oc, oy, ox); st.Sum != y[i] {
				t.Fatalf("%+v on %dx%d: step %d sums to %v, forward %v", s, inH, inW, i, st.Sum, y[i])
			}
		}
	})
}
