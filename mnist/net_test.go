package mnist

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// gradCheck compares a layer's backward pass with central finite
// differences of L = Σ r·forward(x), r fixed random. It checks every input
// and parameter element (or a fixed random sample of at most 150 each).
// step must not carry an input across a kink (ReLU's 0, a pooling tie).
func gradCheck(t *testing.T, name string, l layer, n int, x []float32, step, tol float64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	outLen := n * l.outShape().size()
	r := make([]float32, outLen)
	for i := range r {
		r[i] = float32(rng.NormFloat64())
	}
	st := l.newState(n, true, true)
	xc := make([]float32, len(x))
	lossAt := func() float64 {
		copy(xc, x) // ReLU works in place
		y := l.forward(st, xc, n)
		var s float64
		for i, v := range y {
			s += float64(v) * float64(r[i])
		}
		return s
	}
	lossAt()
	dy := append([]float32(nil), r...)
	dx := l.backward(st, dy, xc, n)
	dx = append([]float32(nil), dx...)
	grads := map[*Param][]float32{}
	for _, p := range l.params() {
		grads[p] = append([]float32(nil), p.Grad...)
	}
	check := func(what string, v []float32, analytic []float32) {
		idx := rng.Perm(len(v))
		if len(idx) > 150 {
			idx = idx[:150]
		}
		var maxErr, scale float64
		for _, a := range analytic {
			scale = math.Max(scale, math.Abs(float64(a)))
		}
		for _, i := range idx {
			old := v[i]
			v[i] = old + float32(step)
			lp := lossAt()
			v[i] = old - float32(step)
			lm := lossAt()
			v[i] = old
			h := float64(old+float32(step)) - float64(old-float32(step))
			num := (lp - lm) / h
			if e := math.Abs(num - float64(analytic[i])); e > maxErr {
				maxErr = e
			}
			if e := math.Abs(num - float64(analytic[i])); e > tol*math.Max(scale, 1e-3) {
				t.Errorf("%s: d/d%s[%d]: finite difference %.6g, backward %.6g", name, what, i, num, analytic[i])
				return
			}
		}
		t.Logf("%s: d/d%s max error %.2g (scale %.2g)", name, what, maxErr, scale)
	}
	check("x", x, dx)
	for _, p := range l.params() {
		check(p.Name, p.Data, grads[p])
	}
}

func randSlice(rng *rand.Rand, n int, lo, hi float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(lo + (hi-lo)*rng.Float64())
	}
	return s
}

// awayFromZero gives values with |v| in [0.05, 1]: finite differences of
// 1e-3 never cross ReLU's kink.
func awayFromZero(rng *rand.Rand, n int) []float32 {
	s := randSlice(rng, n, 0.05, 1)
	for i := range s {
		if rng.IntN(2) == 0 {
			s[i] = -s[i]
		}
	}
	return s
}

func TestGradConv2d(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		in         shape
		out, k, pd int
	}{
		{shape{1, 7, 6}, 3, 3, 1},
		{shape{3, 5, 5}, 4, 5, 2},
		{shape{2, 6, 6}, 2, 3, 0},
	} {
		l, err := newConv2d("0", tc.in, tc.out, tc.k, tc.pd)
		if err != nil {
			t.Fatal(err)
		}
		copy(l.w.Data, randSlice(rng, len(l.w.Data), -1, 1))
		copy(l.b.Data, randSlice(rng, len(l.b.Data), -1, 1))
		// Linear in x and w: a large step is exact up to rounding.
		gradCheck(t, "conv", l, 2, randSlice(rng, 2*tc.in.size(), -1, 1), 0.25, 1e-3)
	}
}

func TestGradLinear(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	l, err := newLinear("7", shape{37, 1, 1}, 10)
	if err != nil {
		t.Fatal(err)
	}
	copy(l.w.Data, randSlice(rng, len(l.w.Data), -0.2, 0.2))
	copy(l.b.Data, randSlice(rng, len(l.b.Data), -0.2, 0.2))
	gradCheck(t, "linear", l, 3, randSlice(rng, 3*37, -1, 1), 0.25, 1e-3)
	if l.w.Shape[0] != 10 || l.w.Shape[1] != 37 {
		t.Errorf("Linear weight shape %v, PyTorch's is [10 37]", l.w.Shape)
	}
}

func TestGradReLU(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	gradCheck(t, "relu", &reluLayer{s: shape{2, 4, 4}}, 2, awayFromZero(rng, 64), 1e-2, 1e-3)
}

func TestGradMaxPool(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for _, in := range []shape{{2, 4, 4}, {3, 7, 5}} { // odd sizes drop the last row/column
		l, err := newMaxPool(in, 2)
		if err != nil {
			t.Fatal(err)
		}
		// Distinct values at least 1e-2 apart: a 1e-3 step changes no winner.
		x := make([]float32, 2*in.size())
		for i, p := range rng.Perm(len(x)) {
			x[i] = float32(p)*0.01 - 0.3
		}
		gradCheck(t, "maxpool", l, 2, x, 1e-3, 1e-2)
	}
}

func TestGradFlatten(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	gradCheck(t, "flatten", &flattenLayer{in: shape{2, 3, 3}}, 2, randSlice(rng, 36, -1, 1), 0.5, 1e-4)
}

func TestGradSoftmaxCrossEntropy(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	const n, k = 4, Classes
	logits := randSlice(rng, n*k, -3, 3)
	logits[5] = 80 // large logits must not overflow
	labels := []uint8{3, 0, 9, 5}
	d := make([]float32, n*k)
	loss, _ := softmaxCrossEntropy(nil, d, logits, labels, n, k)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		t.Fatalf("loss = %v", loss)
	}
	for i := range logits {
		old := logits[i]
		const h = 1e-2
		logits[i] = old + h
		lp, _ := softmaxCrossEntropy(nil, nil, logits, labels, n, k)
		logits[i] = old - h
		lm, _ := softmaxCrossEntropy(nil, nil, logits, labels, n, k)
		logits[i] = old
		num := (lp - lm) / (float64(old+h) - float64(old-h))
		if math.Abs(num-float64(d[i])) > 1e-4 {
			t.Errorf("dL/dlogit[%d]: finite difference %.6g, analytic %.6g", i, num, d[i])
		}
	}
	// The textbook value: uniform logits give log(10).
	u := make([]float32, k)
	if l, _ := softmaxCrossEntropy(nil, nil, u, []uint8{4}, 1, k); math.Abs(l-math.Log(10)) > 1e-12 {
		t.Errorf("uniform logits: loss %v, want ln 10", l)
	}
}

// The whole small network: backward against finite differences of the
// loss for a sample of every parameter tensor.
func TestGradWholeNet(t *testing.T) {
	n, err := NewNet("small", 3)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(14, 15))
	const b = 3
	x := randSlice(rng, b*Pixels, 0, 1)
	y := []uint8{1, 7, 3}
	ws := n.newWorkspace(b, true)
	lossAt := func() float64 {
		xc := append([]float32(nil), x...)
		l, _ := softmaxCrossEntropy(ws.probs, ws.dlogits, n.forward(ws, xc, b), y, b, Classes)
		return l
	}
	lossAt()
	n.backward(ws, ws.dlogits, b)
	for _, p := range n.Params() {
		g := append([]float32(nil), p.Grad...)
		var scale float64
		for _, v := range g {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		bad := 0
		for _, i := range rng.Perm(len(p.Data))[:min(20, len(p.Data))] {
			old := p.Data[i]
			const h = 3e-4
			p.Data[i] = old + h
			lp := lossAt()
			p.Data[i] = old - h
			lm := lossAt()
			p.Data[i] = old
			num := (lp - lm) / (float64(old+h) - float64(old-h))
			if math.Abs(num-float64(g[i])) > 2e-2*scale+1e-4 {
				bad++
				t.Logf("%s[%d]: finite difference %.5g, backward %.5g", p.Name, i, num, g[i])
			}
		}
		if bad > 1 { // one sample may straddle a ReLU or pooling kink
			t.Errorf("%s: %d of 20 samples disagree", p.Name, bad)
		}
	}
}

func TestPresetsAndInit(t *testing.T) {
	for _, tc := range []struct {
		preset string
		names  []string
		shapes [][]int
		params int
	}{
		{"reference", []string{"0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias"},
			[][]int{{32, 1, 3, 3}, {32}, {64, 32, 3, 3}, {64}, {10, 3136}, {10}}, 320 + 18496 + 31370},
		{"small", []string{"0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias"},
			[][]int{{8, 1, 5, 5}, {8}, {16, 8, 5, 5}, {16}, {10, 784}, {10}}, 208 + 3216 + 7850},
	} {
		n, err := NewNet(tc.preset, 42)
		if err != nil {
			t.Fatal(err)
		}
		if n.Preset() != tc.preset || n.ParamCount() != tc.params {
			t.Errorf("%s: preset %q, %d params, want %d", tc.preset, n.Preset(), n.ParamCount(), tc.params)
		}
		for i, p := range n.Params() {
			if p.Name != tc.names[i] || !equalShape(p.Shape, tc.shapes[i]) {
				t.Errorf("%s: param %d is %s %v, want %s %v", tc.preset, i, p.Name, p.Shape, tc.names[i], tc.shapes[i])
			}
			// U(-1/√fan_in, 1/√fan_in): inside the bound, and spread over it.
			fanIn := len(n.Params()[i&^1].Data) / n.Params()[i&^1].Shape[0]
			bound := 1 / math.Sqrt(float64(fanIn))
			var lo, hi float64
			for _, v := range p.Data {
				lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
			}
			if lo < -bound || hi > bound || (len(p.Data) >= 32 && (lo > -0.8*bound || hi < 0.8*bound)) {
				t.Errorf("%s %s: values in [%.4f, %.4f], want U(±%.4f)", tc.preset, p.Name, lo, hi, bound)
			}
		}
		m, _ := NewNet(tc.preset, 42)
		o, _ := NewNet(tc.preset, 43)
		if m.Params()[2].Data[5] != n.Params()[2].Data[5] || o.Params()[2].Data[5] == n.Params()[2].Data[5] {
			t.Errorf("%s: the seed does not determine the weights", tc.preset)
		}
	}
	if _, err := NewNet("resnet", 1); err == nil || !strings.Contains(err.Error(), "small") {
		t.Errorf("unknown preset: err = %v", err)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	n, _ := NewNet("small", 9)
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := n.Save(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadNet(b)
	if err != nil {
		t.Fatal(err)
	}
	img := make([]float32, Pixels)
	for i := range img {
		img[i] = float32(i%28) / 28
	}
	if m.Preset() != "small" || m.Predict(img) != n.Predict(img) {
		t.Error("a loaded net predicts differently")
	}
	// A PyTorch state_dict without our metadata: the preset from its shapes.
	for _, preset := range Presets {
		r, _ := NewNet(preset, 1)
		b, err := EncodeSafetensors(r.Tensors(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if l, err := LoadNet(b); err != nil || l.Preset() != preset {
			t.Errorf("%s without metadata: %v", preset, err)
		}
	}
}

func TestLoadNetRejects(t *testing.T) {
	n, _ := NewNet("small", 9)
	ts := n.Tensors()
	enc := func(ts []Tensor, meta map[string]string) []byte {
		b, err := EncodeSafetensors(ts, meta)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	meta := map[string]string{"preset": "small"}
	wrongShape := append([]Tensor(nil), ts...)
	wrongShape[4] = Tensor{Name: "7.weight", Shape: []int{784, 10}, Data: ts[4].Data}
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"garbage", []byte("not a model"), "safetensors"},
		{"no preset, unknown first layer", enc(append([]Tensor{{Name: "0.weight", Shape: []int{3, 1, 2, 2}, Data: make([]float32, 12)}}, ts[1:]...), nil), "preset"},
		{"other preset", enc(ts, map[string]string{"preset": "reference"}), "shape"},
		{"unknown preset", enc(ts, map[string]string{"preset": "vgg"}), "vgg"},
		{"missing tensor", enc(ts[:5], meta), "7.bias"},
		{"wrong shape", enc(wrongShape, meta), "7.weight"},
		{"extra tensor", enc(append(append([]Tensor(nil), ts...), Tensor{Name: "8.weight", Shape: []int{1}, Data: []float32{1}}), meta), "8.weight"},
	} {
		_, err := LoadNet(tc.b)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

func TestPredictAndFeatureMaps(t *testing.T) {
	n, _ := NewNet("reference", 1)
	img := make([]float32, Pixels)
	for i := range img {
		img[i] = float32((i*7)%11) / 10
	}
	p := n.Predict(img)
	var s float64
	for _, v := range p {
		if v < 0 || v > 1 {
			t.Fatalf("probability %v", v)
		}
		s += float64(v)
	}
	if math.Abs(s-1) > 1e-5 {
		t.Errorf("probabilities sum to %v", s)
	}
	fm := n.FeatureMaps(img)
	if p2, fm2 := n.PredictMaps(img); p2 != p || len(fm2) != len(fm) || fm2[1].Data[7] != fm[1].Data[7] {
		t.Error("PredictMaps differs from Predict and FeatureMaps")
	}
	if len(fm) != 2 || fm[0].Layer != "conv1" || fm[0].C != 32 || fm[0].H != 28 || fm[1].C != 64 || fm[1].W != 14 {
		t.Fatalf("feature maps %v", describeFM(fm))
	}
	for _, f := range fm {
		if len(f.Data) != f.C*f.H*f.W {
			t.Fatalf("%s: %d values for %dx%dx%d", f.Layer, len(f.Data), f.C, f.H, f.W)
		}
		for _, v := range f.Data {
			if v < 0 {
				t.Fatalf("%s: negative value %v after ReLU", f.Layer, v)
			}
		}
	}
	// conv1's first map, pixel (0,0), by hand from the weights.
	w, b := n.Params()[0].Data, n.Params()[1].Data
	var want float64 = float64(b[0])
	for ky := range 3 {
		for kx := range 3 {
			y, x := ky-1, kx-1
			if y >= 0 && x >= 0 {
				want += float64(w[ky*3+kx]) * float64(img[y*28+x])
			}
		}
	}
	if got := float64(fm[0].Data[0]); math.Abs(got-math.Max(want, 0)) > 1e-5 {
		t.Errorf("conv1[0](0,0) = %v, by hand %v", got, math.Max(want, 0))
	}
	f := n.Filters()
	if f.C != 32 || f.H != 3 || f.W != 3 || f.Data[4] != w[4] {
		t.Errorf("filters %dx%dx%d", f.C, f.H, f.W)
	}
	c := n.Clone()
	c.Params()[0].Data[0] += 1
	if n.Params()[0].Data[0] == c.Params()[0].Data[0] {
		t.Error("Clone shares parameters")
	}
	c.CopyFrom(n)
	if c.Predict(img) != p {
		t.Error("CopyFrom does not restore the predictions")
	}
}

func describeFM(fm []FeatureMap) []string {
	var s []string
	for _, f := range fm {
		s = append(s, f.Layer)
	}
	return s
}

// One Net serves concurrent predictions (each takes its own workspace).
func TestPredictConcurrent(t *testing.T) {
	n, _ := NewNet("small", 2)
	rng := rand.New(rand.NewPCG(16, 17))
	imgs := make([][]float32, 8)
	want := make([][Classes]float32, len(imgs))
	for i := range imgs {
		imgs[i] = randSlice(rng, Pixels, 0, 1)
		want[i] = n.Predict(imgs[i])
	}
	errs := make(chan string, 64)
	done := make(chan bool)
	for g := range 8 {
		go func() {
			for k := range 20 {
				i := (g + k) % len(imgs)
				if got := n.Predict(imgs[i]); got != want[i] {
					errs <- "concurrent Predict differs"
				}
				if fm := n.FeatureMaps(imgs[i]); len(fm) != 2 {
					errs <- "concurrent FeatureMaps broken"
				}
			}
			done <- true
		}()
	}
	for range 8 {
		<-done
	}
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

// ReLU on the awkward values: NaN stays NaN, -0 and -Inf become 0, +Inf
// stays; backward keeps the gradient only where the output is positive.
func TestReLUSpecialValues(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	x := []float32{-1, -0.0, 0, 2, nan, inf, -inf, float32(math.Copysign(0, -1)), 1e-45, -1e-45}
	want := []float32{0, 0, 0, 2, nan, inf, 0, 0, 1e-45, 0}
	reluForward(x)
	for i := range x {
		if !(x[i] == want[i] || x[i] != x[i] && want[i] != want[i]) || math.Signbit(float64(x[i])) {
			t.Errorf("relu[%d] = %v, want %v", i, x[i], want[i])
		}
	}
	dy := []float32{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	reluBackward(dy, x)
	wantD := []float32{0, 0, 0, 1, 0, 1, 0, 0, 1, 0}
	for i := range dy {
		if dy[i] != wantD[i] {
			t.Errorf("relu backward[%d] = %v, want %v (y = %v)", i, dy[i], wantD[i], x[i])
		}
	}
}

// Pooling before the ReLU (the training workspaces' order) gives the same
// logits and gradients, bit for bit, as the nn.Sequential order.
func TestPoolFirstSameResults(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 19))
	for _, preset := range Presets {
		n, _ := NewNet(preset, 4)
		const b = 5
		x := randSlice(rng, b*Pixels, -0.5, 1) // negative pixels: whole windows below zero
		for i := range 3 * Pixels {
			x[i] = 0 // blank images: ties at zero everywhere
		}
		y := []uint8{0, 3, 9, 2, 7}
		run := func(poolFirst bool) (logits []float32, grads [][]float32) {
			ws := n.newWorkspace(b, true)
			ws.poolFirst = poolFirst
			logits = append([]float32(nil), n.forward(ws, append([]float32(nil), x...), b)...)
			softmaxCrossEntropy(ws.probs, ws.dlogits, logits, y, b, Classes)
			n.backward(ws, ws.dlogits, b)
			for _, p := range n.Params() {
				grads = append(grads, append([]float32(nil), p.Grad...))
			}
			return logits, grads
		}
		l1, g1 := run(false)
		l2, g2 := run(true)
		for i := range l1 {
			if math.Float32bits(l1[i]) != math.Float32bits(l2[i]) {
				t.Fatalf("%s: logit %d: %v vs %v", preset, i, l1[i], l2[i])
			}
		}
		for k := range g1 {
			for i := range g1[k] {
				if math.Float32bits(g1[k][i]) != math.Float32bits(g2[k][i]) {
					t.Fatalf("%s: %s grad %d: %v vs %v", preset, n.Params()[k].Name, i, g1[k][i], g2[k][i])
				}
			}
		}
	}
}
