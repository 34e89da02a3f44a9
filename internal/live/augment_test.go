package live

import (
	"testing"

	"github.com/convlab/convlab/mnist"
)

// With "augment" the maps event carries a few augmented training images
// (the same for every viewer and every event); without it, none.
func TestMNISTEngineAugmentedSamples(t *testing.T) {
	set := &mnist.Set{N: 20, Pix: make([]uint8, 20*mnist.Pixels), Labels: make([]uint8, 20)}
	for i := range set.N { // a bar in each image, at a different place
		for y := 8; y < 20; y++ {
			set.Pix[i*mnist.Pixels+y*mnist.ImageSize+4+i] = 255
		}
		set.Labels[i] = uint8(i % 10)
	}
	for _, augment := range []bool{false, true} {
		eng, err := NewMNISTEngine(Config{Net: "small", Optimizer: "adam", LR: 0.001, BatchSize: 4, Augment: augment}, set, set)
		if err != nil {
			t.Fatal(err)
		}
		if got := eng.(*mnistEngine).tr.Config().Augment; got != augment {
			t.Fatalf("the trainer's Augment is %v, want %v", got, augment)
		}
		eng.Step()
		mp := eng.Maps()
		if !augment {
			if len(mp.Augmented) != 0 {
				t.Errorf("without augment: %d augmented samples", len(mp.Augmented))
			}
			continue
		}
		if len(mp.Augmented) != AugmentSamples {
			t.Fatalf("%d augmented samples, want %d", len(mp.Augmented), AugmentSamples)
		}
		orig := QuantizeUnsigned("augmented", 1, 28, 28, set.Image(0))
		for i, m := range mp.Augmented {
			if m.C != 1 || m.H != 28 || m.W != 28 || m.Data == "" {
				t.Fatalf("sample %d: %d×%d×%d, %d bytes", i, m.C, m.H, m.W, len(m.Data))
			}
		}
		if mp.Augmented[0].Data == orig.Data {
			t.Error("the first augmented sample is the unchanged image")
		}
		again := eng.Maps()
		if again.Augmented[3].Data != mp.Augmented[3].Data {
			t.Error("the samples change between events")
		}
	}
}
