package live

import (
	"sync/atomic"
	"time"
)

// MaxYield bounds how long the training loop waits, between two steps,
// for the requests in flight to finish: requests go first, but a server
// that is never idle still trains.
const MaxYield = 25 * time.Millisecond

// Gate counts the requests in flight so that the training goroutine can
// let them go first. Training and requests share the processor and the
// engine's worker pool; without the gate a prediction waits behind the
// training step's queued work (p99 in the hundreds of milliseconds on two
// cores).
type Gate struct{ n atomic.Int64 }

// Enter marks a request as started; call the returned func when it ends.
func (g *Gate) Enter() (leave func()) {
	g.n.Add(1)
	return func() { g.n.Add(-1) }
}

// Busy reports whether requests are in flight.
func (g *Gate) Busy() bool { return g.n.Load() > 0 }

// wait blocks while requests are in flight, for at most max.
func (g *Gate) wait(max time.Duration) {
	if !g.Busy() {
		return
	}
	deadline := time.Now().Add(max)
	for g.Busy() && time.Now().Before(deadline) {
		time.Sleep(500 * time.Microsecond)
	}
}

// Gate is the manager's request gate (see Gate).
func (m *Manager) Gate() *Gate { return &m.gate }
