package mnist

import (
	"compress/gzip"
	"io"
	"math"
	"os"
	"testing"
)

// The PyTorch fixture made by scripts/gen_train_step.py. Both sides build
// the initial weights and the batch from the same integer hash.

const paritySeed = 20250601

func splitmix64(x uint64) uint64 {
	z := x + 0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// hashUnit is the script's unit(stream, i): 24 random bits in [0, 1).
func hashUnit(stream, i uint64) float64 {
	return float64(splitmix64((stream&0xFFFFFFFF)<<32|i)>>40) / float64(1<<24)
}

func loadFixture(t *testing.T) map[string]Tensor {
	t.Helper()
	return loadFixtureFile(t, "testdata/train_step.safetensors.gz")
}

func loadFixtureFile(t *testing.T, path string) map[string]Tensor {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	ts, _, err := DecodeSafetensors(b)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]Tensor{}
	for _, x := range ts {
		m[x.Name] = x
	}
	return m
}

func hashNet(t *testing.T) *Net {
	n, err := NewNet("reference", 0)
	if err != nil {
		t.Fatal(err)
	}
	for k, p := range n.Params() {
		fanIn := len(p.Data) / p.Shape[0]
		if len(p.Shape) == 1 { // a bias: the fan-in of its layer's weight
			w := n.Params()[k-1]
			fanIn = len(w.Data) / w.Shape[0]
		}
		bound := 1 / math.Sqrt(float64(fanIn))
		for i := range p.Data {
			p.Data[i] = float32((2*hashUnit(uint64(paritySeed+k), uint64(i)) - 1) * bound)
		}
	}
	return n
}

func closeTo(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// TestTrainStepMatchesPyTorch runs one Adam step of the reference network
// on the fixture's weights and batch and compares the loss, every
// gradient and the updated parameters with PyTorch's. Adam's first step
// is −lr·g/(|g| + ε): where |g| is within a few ε of zero (1e-8), float32
// rounding of g (Winograd's in the 32→64 layer, or PyTorch's own choice of
// algorithm) moves the step by a visible part of lr, so the update is
// compared where |g| ≥ 1e-6 (the gradients themselves everywhere), as in
// TestRealStepMatchesPyTorch.
func TestTrainStepMatchesPyTorch(t *testing.T) {
	fx := loadFixture(t)
	const batch = 8
	n := hashNet(t)
	before := n.Clone()
	x := make([]float32, batch*Pixels)
	for i := range x {
		x[i] = float32(hashUnit(paritySeed+1000, uint64(i)))
	}
	y := make([]uint8, batch)
	for i := range y {
		y[i] = uint8(splitmix64(uint64(paritySeed+2000+i)) % 10)
	}
	ws := n.newWorkspace(batch, true)
	ws.poolFirst = true // as the Trainer runs it (TestPoolFirstSameResults: the same bits)
	logits := n.forward(ws, x, batch)
	loss, _ := softmaxCrossEntropy(ws.probs, ws.dlogits, logits, y, batch, Classes)
	if want := float64(fx["loss"].Data[0]); !closeTo(loss, want, 1e-5) {
		t.Errorf("loss = %.7f, PyTorch %.7f", loss, want)
	}
	n.backward(ws, ws.dlogits, batch)
	NewAdam(1e-3).Step(n.Params())
	skipped, total := 0, 0
	for k, p := range n.Params() {
		total += len(p.Data)
		g, d := fx[p.Name+".grad"], fx[p.Name+".delta"]
		if len(g.Data) != len(p.Data) || len(d.Data) != len(p.Data) {
			t.Fatalf("%s: fixture has %d/%d values, net %d", p.Name, len(g.Data), len(d.Data), len(p.Data))
		}
		// Gradients: relative to the tensor's largest gradient.
		var gmax float64
		for _, v := range g.Data {
			gmax = math.Max(gmax, math.Abs(float64(v)))
		}
		bad := 0
		for i := range p.Data {
			if math.Abs(float64(p.Grad[i]-g.Data[i])) > 1e-4*gmax+1e-7 {
				if bad < 3 {
					t.Errorf("%s.grad[%d] = %g, PyTorch %g", p.Name, i, p.Grad[i], g.Data[i])
				}
				bad++
			}
			want := float64(before.Params()[k].Data[i]) + float64(d.Data[i])
			if math.Abs(float64(g.Data[i])) < 1e-6 {
				skipped++
				continue
			}
			if math.Abs(float64(p.Data[i])-want) > 1e-4 {
				if bad < 3 {
					t.Errorf("%s[%d] after the step = %g, PyTorch %g", p.Name, i, p.Data[i], want)
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d mismatches", p.Name, bad)
		}
	}
	t.Logf("updates compared for %d of %d parameters (the rest have |g| < 1e-6)", total-skipped, total)
	if skipped > total/2 { // 12,772 of 50,186 at this fixture
		t.Errorf("%d of %d parameters have |g| < 1e-6: the fixture no longer tests the update", skipped, total)
	}
}

// TestOptimizersMatchPyTorch feeds three gradients to Adam and SGD with
// momentum and compares the parameter after each step.
func TestOptimizersMatchPyTorch(t *testing.T) {
	fx := loadFixture(t)
	p0, gs := fx["opt.p0"].Data, fx["opt.grads"].Data
	for _, tc := range []struct {
		name string
		opt  Optimizer
	}{
		{"adam", NewAdam(0.01)},
		{"sgd", &SGD{LR: 0.1, Momentum: 0.9}},
	} {
		p := &Param{Name: "p", Shape: []int{16}, Data: append([]float32(nil), p0...), Grad: make([]float32, 16)}
		want := fx[tc.name+".p"].Data
		for step := range 3 {
			copy(p.Grad, gs[step*16:(step+1)*16])
			tc.opt.Step([]*Param{p})
			for i, v := range p.Data {
				if w := want[step*16+i]; math.Abs(float64(v-w)) > 1e-6 {
					t.Errorf("%s step %d: p[%d] = %.8g, PyTorch %.8g", tc.name, step+1, i, v, w)
				}
			}
		}
	}
}

// TestOptimizerPreviewIsStep: Preview's numbers are exactly what Step then
// writes (the parameter, and Adam's moments), over three steps of the
// PyTorch fixture's gradients, for Adam, SGD with momentum and plain SGD.
func TestOptimizerPreviewIsStep(t *testing.T) {
	fx := loadFixture(t)
	p0, gs := fx["opt.p0"].Data, fx["opt.grads"].Data
	for _, opt := range []Optimizer{NewAdam(0.01), &SGD{LR: 0.1, Momentum: 0.9}, &SGD{LR: 0.1}} {
		ps := []*Param{
			{Name: "a", Data: []float32{0.5, -1}, Grad: make([]float32, 2)},
			{Name: "p", Data: append([]float32(nil), p0...), Grad: make([]float32, 16)},
		}
		for step := range 3 {
			copy(ps[1].Grad, gs[step*16:(step+1)*16])
			ps[0].Grad[0], ps[0].Grad[1] = gs[step*16], -gs[step*16+1]
			type pv struct{ after, m, v float32 }
			var want []pv
			for i, p := range ps {
				for j := range p.Data {
					switch o := opt.(type) {
					case *Adam:
						d := o.Preview(i, j, p.Grad[j], p.Data[j])
						if d.T != step+1 || d.Before != p.Data[j] || d.Grad != p.Grad[j] || d.Before-d.Update != d.After {
							t.Fatalf("adam step %d: preview %+v", step+1, d)
						}
						want = append(want, pv{d.After, d.M, d.V})
					case *SGD:
						d := o.Preview(i, j, p.Grad[j], p.Data[j])
						if d.First != (step == 0) || d.Before-d.Update != d.After {
							t.Fatalf("sgd step %d: preview %+v", step+1, d)
						}
						want = append(want, pv{d.After, d.Buf, 0})
					}
				}
			}
			opt.Step(ps)
			k := 0
			for i, p := range ps {
				for j, v := range p.Data {
					got := pv{after: v}
					switch o := opt.(type) {
					case *Adam:
						got.m, got.v = o.m[i][j], o.v[i][j]
					case *SGD:
						got.m = o.buf[i][j]
					}
					if got != want[k] {
						t.Errorf("%s step %d: %s[%d] = %+v, preview said %+v", opt.Name(), step+1, p.Name, j, got, want[k])
					}
					k++
				}
			}
		}
	}
}
