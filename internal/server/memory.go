package server

import (
	"runtime/debug"
	"sync"
	"time"
)

// Memory after bursts. A heavy GIF render allocates a few megabytes of
// canvases and encoder buffers (animations.WriteGIF); a class opening the
// custom animations at once makes a burst of them. The Go runtime keeps
// freed heap for reuse and returns it to the OS only slowly (the
// background scavenger), so the process kept ~600 MB for minutes after
// such a burst. memoryReturner calls debug.FreeOSMemory returnMemoryAfter
// after the renders since the last return reached returnMemoryBytes (so
// during a long burst, and once after it), not after each render:
// FreeOSMemory runs a full collection.
//
// No GOMEMLIMIT default is set: the peak is bounded by admission (at most
// -work-slots renders at once, each bounded by frame-by-frame encoding),
// and a soft limit below the working set would only make the collector
// run continuously during a burst. An operator may still set GOMEMLIMIT.

// returnMemoryBytes is how many bytes of rendered images arm a return
// (one large animation, or many small ones).
const returnMemoryBytes = 1 << 20

// returnMemoryAfter is the delay from the render that armed a return to
// the return; renders in between join it. Under a continuous burst this
// is at most one FreeOSMemory per returnMemoryAfter.
const returnMemoryAfter = 3 * time.Second

type memoryReturner struct {
	mu      sync.Mutex
	pending int64 // bytes rendered since the last return
	timer   *time.Timer
	armed   bool
	free    func()        // debug.FreeOSMemory; a test may count calls
	delay   time.Duration // returnMemoryAfter; a test may shorten it
	stopped bool
}

// after notes a render of n bytes: once returnMemoryBytes have been
// rendered, memory is returned returnMemoryAfter later.
func (m *memoryReturner) after(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending += int64(n)
	if m.armed || m.stopped || m.pending < returnMemoryBytes {
		return
	}
	if m.free == nil {
		m.free = debug.FreeOSMemory
	}
	if m.delay == 0 {
		m.delay = returnMemoryAfter
	}
	m.armed = true
	fire := func() {
		m.mu.Lock()
		m.armed, m.pending = false, 0
		free, stopped := m.free, m.stopped
		m.mu.Unlock()
		if !stopped {
			free()
		}
	}
	if m.timer == nil {
		m.timer = time.AfterFunc(m.delay, fire)
	} else {
		m.timer.Reset(m.delay)
	}
}

// stop cancels a pending return (the app closes).
func (m *memoryReturner) stop() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stopped = true
	if m.timer != nil {
		m.timer.Stop()
	}
	return nil
}
