package mnist

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// blob is a digit-like test image: a slanted stroke and a ring, kept away
// from the border (columns and rows 7..20) so that shifts of up to 3 px and
// rotations keep it inside.
func blob() []uint8 {
	img := make([]uint8, Pixels)
	for y := 8; y <= 20; y++ {
		x := 16 - (y-8)/3
		img[y*ImageSize+x], img[y*ImageSize+x+1] = 255, 140
	}
	for a := 0.0; a < 2*math.Pi; a += 0.05 {
		x, y := int(11+3.5*math.Cos(a)), int(11+3.5*math.Sin(a))
		img[y*ImageSize+x] = 200
	}
	return img
}

// centreOfMass of a float image, in pixels (x right, y down).
func centreOfMass(img []float32) (cx, cy, mass float64) {
	for i, v := range img {
		mass += float64(v)
		cx += float64(v) * float64(i%ImageSize)
		cy += float64(v) * float64(i/ImageSize)
	}
	return cx / mass, cy / mass, mass
}

func TestAugmentIdentity(t *testing.T) {
	src := blob()
	noise := RandomSet(1, 3).Pix // every pixel set, up to the border
	scratch := make([]float32, Pixels)
	for _, img := range [][]uint8{src, noise} {
		want := make([]float32, Pixels)
		convertPixels(want, img)
		for _, a := range []Augmentation{Identity, {Scale: 1, Rotate: 0, DX: 0, DY: 0, Thickness: 0}, {Rotate: 360, Scale: 1}} {
			got := make([]float32, Pixels)
			a.Apply(got, img, scratch)
			for i := range got {
				if math.Abs(float64(got[i]-want[i])) > 1e-5 || (a == Identity && got[i] != want[i]) {
					t.Fatalf("%+v: pixel %d = %v, want %v (the identity must not change the image)", a, i, got[i], want[i])
				}
			}
		}
	}
}

func TestAugmentShiftMovesCentreOfMass(t *testing.T) {
	src := blob()
	orig := make([]float32, Pixels)
	convertPixels(orig, src)
	cx0, cy0, m0 := centreOfMass(orig)
	scratch := make([]float32, Pixels)
	for _, d := range [][2]float64{{0, 0}, {3, 0}, {0, -3}, {-2, 1}, {1.5, -2.25}, {-0.3, 2.7}} {
		got := make([]float32, Pixels)
		Augmentation{Scale: 1, DX: d[0], DY: d[1]}.Apply(got, src, scratch)
		cx, cy, m := centreOfMass(got)
		if math.Abs(cx-cx0-d[0]) > 1e-4 || math.Abs(cy-cy0-d[1]) > 1e-4 || math.Abs(m-m0) > 1e-3 {
			t.Errorf("shift %v: centre of mass moved by (%.5f, %.5f), mass %.4f → %.4f", d, cx-cx0, cy-cy0, m0, m)
		}
	}
}

// Rotation turns the centre of mass about the image centre, counterclockwise
// on screen; scaling moves it away from the centre by the factor.
func TestAugmentRotateScaleCentreOfMass(t *testing.T) {
	src := blob()
	orig := make([]float32, Pixels)
	convertPixels(orig, src)
	const c = 13.5
	cx0, cy0, _ := centreOfMass(orig)
	scratch := make([]float32, Pixels)
	for _, tc := range []struct{ rot, scale float64 }{{90, 1}, {-90, 1}, {180, 1}, {0, 1.15}, {0, 0.85}} {
		got := make([]float32, Pixels)
		Augmentation{Rotate: tc.rot, Scale: tc.scale}.Apply(got, src, scratch)
		cx, cy, _ := centreOfMass(got)
		// On screen (y down) counterclockwise by θ: (dx, dy) → (dx cos θ + dy sin θ, -dx sin θ + dy cos θ).
		s, co := math.Sincos(tc.rot * math.Pi / 180)
		dx, dy := cx0-c, cy0-c
		wx, wy := c+tc.scale*(dx*co+dy*s), c+tc.scale*(-dx*s+dy*co)
		// Bilinear resampling is exact for 90° turns; a scale keeps the
		// first moment only approximately (the sampling grid changes).
		tol := 1e-4
		if tc.scale != 1 {
			tol = 0.1
		}
		if math.Abs(cx-wx) > tol || math.Abs(cy-wy) > tol {
			t.Errorf("rotate %v scale %v: centre of mass (%.4f, %.4f), want (%.4f, %.4f)", tc.rot, tc.scale, cx, cy, wx, wy)
		}
	}
}

func TestAugmentThickness(t *testing.T) {
	src := blob()
	scratch := make([]float32, Pixels)
	ink := func(a Augmentation) float64 {
		img := make([]float32, Pixels)
		a.Apply(img, src, scratch)
		_, _, m := centreOfMass(img)
		return m
	}
	plain := ink(Identity)
	thick, thin := ink(Augmentation{Scale: 1, Thickness: 1}), ink(Augmentation{Scale: 1, Thickness: -0.5})
	half := ink(Augmentation{Scale: 1, Thickness: 0.5})
	if !(thin < plain && plain < half && half < thick) {
		t.Errorf("ink: thin %.1f, plain %.1f, half-thick %.1f, thick %.1f: want increasing", thin, plain, half, thick)
	}
	// A full dilation is the max over the plus-shaped neighbourhood.
	img := make([]float32, Pixels)
	one := make([]uint8, Pixels)
	one[10*ImageSize+10] = 255
	Augmentation{Scale: 1, Thickness: 1}.Apply(img, one, scratch)
	var lit []int
	for i, v := range img {
		if v != 0 {
			lit = append(lit, i)
		}
	}
	want := []int{9*ImageSize + 10, 10*ImageSize + 9, 10*ImageSize + 10, 10*ImageSize + 11, 11*ImageSize + 10}
	if !slices.Equal(lit, want) {
		t.Errorf("dilating one pixel lit %v, want %v", lit, want)
	}
}

func TestAugmentDeterministicPerSeed(t *testing.T) {
	src := blob()
	a1, i1 := AugmentedSamples(src, 3, 5)
	a2, i2 := AugmentedSamples(src, 3, 5)
	a3, _ := AugmentedSamples(src, 4, 5)
	if !slices.Equal(a1, a2) || !slices.EqualFunc(i1, i2, slices.Equal) {
		t.Error("the same seed gave different augmentations")
	}
	if slices.Equal(a1, a3) {
		t.Error("different seeds gave the same augmentations")
	}
	// Every drawn value lies in its range, and the three thickness kinds occur.
	r := rand.New(rand.NewPCG(1, 2))
	kinds := map[int]int{}
	for range 3000 {
		a := RandomAugmentation(r)
		if math.Abs(a.Rotate) > AugmentRotate || math.Abs(a.Scale-1) > AugmentScale ||
			math.Abs(a.DX) > AugmentShift || math.Abs(a.DY) > AugmentShift ||
			a.Thickness > AugmentThicken || a.Thickness < -AugmentThin {
			t.Fatalf("out of range: %+v", a)
		}
		switch {
		case a.Thickness > 0:
			kinds[1]++
		case a.Thickness < 0:
			kinds[-1]++
		default:
			kinds[0]++
		}
	}
	for k, n := range kinds {
		if n < 900 || len(kinds) != 3 {
			t.Errorf("thickness kinds %v: want about 1000 each", kinds)
			_ = k
			break
		}
	}

	// Two trainers with the same seed train the same weights; another
	// seed for the augmentation only changes them.
	set := RandomSet(60, 2)
	train := func(seed uint64, augment bool) []float32 {
		tr, err := NewTrainer(TrainConfig{Net: "small", BatchSize: 20, Seed: seed, Augment: augment}, set, nil)
		if err != nil {
			t.Fatal(err)
		}
		for range 4 {
			tr.Step()
		}
		return tr.Net().Params()[0].Data
	}
	if !slices.Equal(train(1, true), train(1, true)) {
		t.Error("two augmented runs with seed 1 differ")
	}
	if slices.Equal(train(1, true), train(1, false)) {
		t.Error("augment changed nothing")
	}
}

func TestTrainConfigAugmentAndDecay(t *testing.T) {
	base := TrainConfig{}.WithDefaults()
	for _, tc := range []struct {
		cfg TrainConfig
		ok  bool
	}{
		{TrainConfig{Augment: true}, true},
		{TrainConfig{Augment: true, Shift: 2}, false},
		{TrainConfig{Augment: true, AugmentEpochs: 3}, true},
		{TrainConfig{AugmentEpochs: 3}, false},
		{TrainConfig{Augment: true, AugmentEpochs: -1}, false},
		{TrainConfig{LRDecay: 0.8}, true},
		{TrainConfig{LRDecay: 1}, true},
		{TrainConfig{LRDecay: 1.5}, false},
		{TrainConfig{LRDecay: -0.1}, false},
		{TrainConfig{LRDecay: math.NaN()}, false},
	} {
		c := base
		c.Augment, c.Shift, c.LRDecay, c.AugmentEpochs = tc.cfg.Augment, tc.cfg.Shift, tc.cfg.LRDecay, tc.cfg.AugmentEpochs
		if err := c.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: Validate = %v, want ok %v", tc.cfg, err, tc.ok)
		}
	}
	c := TrainConfig{LR: 0.01, LRDecay: 0.5}
	for e, want := range map[int]float64{0: 0.01, 1: 0.01, 2: 0.005, 4: 0.00125} {
		if got := c.EpochLR(e); math.Abs(got-want) > 1e-15 {
			t.Errorf("EpochLR(%d) = %g, want %g", e, got, want)
		}
	}
	// The trainer applies it: epoch 3 of a decay 0.5 run steps with lr/4.
	set := RandomSet(40, 1)
	for _, opt := range []string{"adam", "sgd"} {
		tr, _ := NewTrainer(TrainConfig{Net: "small", Optimizer: opt, LR: 0.04, BatchSize: 20, LRDecay: 0.5}, set, nil)
		for range 5 { // epochs 1, 1, 2, 2, 3
			tr.Step()
		}
		var lr float64
		switch o := tr.opt.(type) {
		case *Adam:
			lr = o.LR
		case *SGD:
			lr = o.LR
		}
		if tr.Epoch() != 3 || lr != 0.01 {
			t.Errorf("%s: epoch %d with lr %g, want epoch 3 with 0.01", opt, tr.Epoch(), lr)
		}
	}
}

// With AugmentEpochs 1 the first epoch's batches are augmented and the
// second's are the plain images.
func TestAugmentEpochs(t *testing.T) {
	set := RandomSet(40, 6)
	tr, err := NewTrainer(TrainConfig{Net: "small", BatchSize: 20, Augment: true, AugmentEpochs: 1}, set, nil)
	if err != nil {
		t.Fatal(err)
	}
	plain := func() bool { // is the last batch the plain images?
		want := make([]float32, Pixels)
		for i, k := range tr.perm[tr.pos-20 : tr.pos] {
			convertPixels(want, set.Pix[int(k)*Pixels:(int(k)+1)*Pixels])
			if !slices.Equal(want, tr.x[i*Pixels:(i+1)*Pixels]) {
				return false
			}
		}
		return true
	}
	for step, wantPlain := range []bool{false, false, true, true} {
		tr.Step()
		if plain() != wantPlain {
			t.Errorf("step %d (epoch %d): plain images %v, want %v", step+1, tr.Epoch(), !wantPlain, wantPlain)
		}
	}
}
