package backward

import (
	"math"
	"strings"
	"testing"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/mnist"
)

func lesson(t *testing.T, spec conv.Spec) (*conv.Geometry, []float32, []float32) {
	t.Helper()
	g, err := spec.Resolve(5, 5)
	if err != nil {
		t.Fatal(err)
	}
	x := []float32{1, 2, 3, 1, 0, 0, 1, 5, 2, 1, 1, 0, 2, 3, 1, 2, 1, 0, 1, 4, 0, 3, 1, 2, 1}
	w := []float32{1, 0, 1, 0, 1, 0, 1, 0, 1}
	return g, x, w
}

// TestRunIsTheEngine: the pass's gradients are conv's BackwardNaive for
// every source of dY, and the updates are w − lr·dW (SGD) and Adam's
// first step, element by element from mnist's optimizers.
func TestRunIsTheEngine(t *testing.T) {
	for _, spec := range []conv.Spec{
		{InChannels: 1, OutChannels: 1, KernelSize: [2]int{3, 3}, Bias: true},
		{InChannels: 1, OutChannels: 1, KernelSize: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, PaddingMode: conv.Reflect},
		{InChannels: 1, OutChannels: 1, KernelSize: [2]int{3, 3}, Stride: [2]int{2, 2}, Transposed: true, Bias: true},
	} {
		g, x, w := lesson(t, spec)
		for _, src := range []string{GradOnes, GradRandom} {
			p, err := Run(Request{G: g, X: x, W: w, B: []float32{0.5}, GradSource: src, Seed: 7, LR: 0.1})
			if err != nil {
				t.Fatal(err)
			}
			dx, dw, db := make([]float32, g.XLen(1)), make([]float32, g.WeightLen()), make([]float32, g.OutChannels)
			conv.BackwardNaive(g, dx, dw, db, p.DY, x, w, 1)
			for _, c := range []struct {
				name      string
				got, want []float32
			}{{"dx", p.DX, dx}, {"dw", p.DW, dw}} {
				for i := range c.want {
					if math.Abs(float64(c.got[i]-c.want[i])) > 1e-5 {
						t.Fatalf("%+v %s: %s[%d] = %v, Backward %v", spec, src, c.name, i, c.got[i], c.want[i])
					}
				}
			}
			if g.Bias && p.DB[0] != db[0] {
				t.Fatalf("db %v, Backward %v", p.DB, db)
			}
			nb := 0
			if g.Bias {
				nb = 1
			}
			if len(p.SGD) != len(w)+nb || len(p.Adam) != len(w)+nb {
				t.Fatalf("%d SGD and %d Adam updates for %d weights", len(p.SGD), len(p.Adam), len(w))
			}
			for j := range w {
				if s := p.SGD[j]; s.After != w[j]-float32(0.1)*p.DW[j] || s.Grad != p.DW[j] {
					t.Fatalf("SGD on weight %d: %+v, want %v − 0.1·%v", j, s, w[j], p.DW[j])
				}
				if a := p.Adam[j]; a.T != 1 || a.Grad != p.DW[j] || a.Before != w[j] || a.Before-a.Update != a.After {
					t.Fatalf("Adam on weight %d: %+v", j, a)
				}
			}
			// Without dX's trace: the same dW, db and updates, no dX.
			q, err := Run(Request{G: g, X: x, W: w, B: []float32{0.5}, GradSource: src, Seed: 7, LR: 0.1, NoInputTrace: true})
			if err != nil || q.InputGrad != nil || q.DX != nil || len(q.DW) != len(p.DW) || q.SGD[0] != p.SGD[0] {
				t.Fatalf("NoInputTrace: %v, %d input steps", err, len(q.InputGrad))
			}
			// The same Adam step through Step itself.
			par := &mnist.Param{Name: "w", Data: append([]float32(nil), w...), Grad: append([]float32(nil), p.DW...)}
			mnist.NewAdam(0.1).Step([]*mnist.Param{par})
			for j, v := range par.Data {
				if v != p.Adam[j].After {
					t.Fatalf("Adam.Step gives %v for weight %d, the pass shows %v", v, j, p.Adam[j].After)
				}
			}
		}
	}
}

func TestRunRefuses(t *testing.T) {
	g, x, w := lesson(t, conv.Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{3, 3}})
	for _, tc := range []struct {
		r    Request
		want string
	}{
		{Request{G: g, X: x, W: w, GradSource: GradGiven, DY: []float32{1, 2}, LR: 0.1}, "1×3×3 (9 numbers), got 2"},
		{Request{G: g, X: x, W: w, GradSource: "zeros", LR: 0.1}, "unknown upstream gradient"},
		{Request{G: g, X: x, W: w, LR: 0}, "learning rate"},
		{Request{G: g, X: x, W: w, LR: math.NaN()}, "learning rate"},
	} {
		if _, err := Run(tc.r); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error about %q", tc.r.GradSource, err, tc.want)
		}
	}
	// Given: used as it is.
	dy := []float32{1, 0, 0, 0, 0, 0, 0, 0, 2}
	p, err := Run(Request{G: g, X: x, W: w, GradSource: GradGiven, DY: dy, LR: 0.01})
	if err != nil || p.DW[0] != 1*1+2*2 { // x[0,0]·1 + x[2,2]·2
		t.Fatalf("given dY: dW[0] = %v, %v", p.DW, err)
	}
	// Random is seeded: the same seed, the same gradient; values in [-2, 2].
	a, _ := Gradient(g, GradRandom, 3, nil)
	b, _ := Gradient(g, GradRandom, 3, nil)
	c, _ := Gradient(g, GradRandom, 4, nil)
	if strings.Join(strs(a), ",") != strings.Join(strs(b), ",") || strings.Join(strs(a), ",") == strings.Join(strs(c), ",") {
		t.Fatalf("random dY: seed 3 gives %v and %v, seed 4 %v", a, b, c)
	}
	for _, v := range a {
		if v < -2 || v > 2 || v != float32(int(v)) {
			t.Fatalf("random dY value %v", v)
		}
	}
}

func strs(s []float32) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = string(rune('0' + int(v) + 2))
	}
	return out
}
