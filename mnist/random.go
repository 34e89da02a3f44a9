package mnist

import "math/rand/v2"

// RandomSet is n random images with random labels, the same for the same
// seed: for tests and benchmarks of the training mechanics (checkpoints,
// pausing, streaming), which do not need MNIST.
func RandomSet(n int, seed uint64) *Set {
	rng := rand.New(rand.NewPCG(seed, 1))
	s := &Set{N: n, Pix: make([]uint8, n*Pixels), Labels: make([]uint8, n)}
	for i := range s.Pix {
		s.Pix[i] = uint8(rng.IntN(256))
	}
	for i := range s.Labels {
		s.Labels[i] = uint8(rng.IntN(Classes))
	}
	return s
}
