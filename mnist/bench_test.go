package mnist

import (
	"math/rand/v2"
	"testing"
	"time"
)

// reportCPU reports cpu-ns/op: the process's CPU time (all threads) since
// c0 per iteration, which other programs on a shared machine disturb far
// less than wall time (scripts/bench_torch.py --cpu compares it).
func reportCPU(b *testing.B, c0 time.Duration) {
	if c0 > 0 {
		b.ReportMetric(float64(processCPU()-c0)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkTrainStep is one full training step on a batch of 100: forward,
// loss, backward and the Adam update (issue 7's names).
func BenchmarkTrainStep(b *testing.B) {
	for _, preset := range []string{"reference", "small"} {
		b.Run(preset+"_b100", func(b *testing.B) {
			set := RandomSet(1000, 1)
			tr, err := NewTrainer(TrainConfig{Net: preset, BatchSize: 100}, set, nil)
			if err != nil {
				b.Fatal(err)
			}
			tr.Step()
			b.ReportAllocs()
			b.ResetTimer()
			c0 := processCPU()
			for b.Loop() {
				tr.Step()
			}
			reportCPU(b, c0)
			b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// BenchmarkPredict is one 28×28 image to probabilities.
func BenchmarkPredict(b *testing.B) {
	for _, preset := range []string{"reference", "small"} {
		b.Run(preset, func(b *testing.B) {
			n, _ := NewNet(preset, 1)
			rng := rand.New(rand.NewPCG(1, 1))
			img := make([]float32, Pixels)
			for i := range img {
				img[i] = rng.Float32()
			}
			n.Predict(img)
			b.ReportAllocs()
			b.ResetTimer()
			c0 := processCPU()
			for b.Loop() {
				n.Predict(img)
			}
			reportCPU(b, c0)
		})
	}
}
