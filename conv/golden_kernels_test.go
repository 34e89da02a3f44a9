package conv

// The fast path's GEMM micro-kernels under the PyTorch golden tests: every
// kernel this CPU can run (the portable pure-Go one included, even where a
// SIMD kernel exists) is held to every fixture of golden_test.go.
//
// This file reaches into the perf helper's internals (gemmKernels, the
// Conv.kern field). Perf helper: if you rename those, edit this file (it is
// the one place the golden tests depend on them); new kernels appended to
// gemmKernels are picked up automatically.

// kernelGoldenImpls is read when the test runs, after every init (so after
// gemm_amd64.go's CPU feature detection has filled gemmKernels).
func kernelGoldenImpls() []goldenImpl {
	var impls []goldenImpl
	for _, k := range gemmKernels {
		impls = append(impls, goldenImpl{"fast/kernel=" + k.name, func(g *Geometry) goldenRunner {
			c := New(g)
			c.kern = k
			return c
		}})
	}
	return impls
}
