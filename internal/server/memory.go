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
// such a burst. returnMemory calls debug.FreeOSMemory once the burst is
// over (quiet for returnMemoryAfter since the last large render), not
// after each render: FreeOSMemory runs a full collection.
//
// No GOMEMLIMIT default is set: the peak is bounded by admission (at most
// -work-slots renders at once, each bounded by frame-by-frame encoding),
// and a soft limit below the working set would only make the collector
// run continuously during a burst. An operator may still set GOMEMLIMIT.

// largeRender is the size of an encoded GIF above which its render
// counts as large (a 1200×720 animation of a few hundred frames).
const largeRender = 512 << 10

// returnMemoryAfter is the quiet time after the last large render before
// memory is returned.
const returnMemoryAfter = 2 * time.Second

type memoryReturner struct {
	mu    sync.Mutex
	timer *time.Timer
	free  func() // debug.FreeOSMemory; a test may count calls
}

// after notes a large render: memory is returned once no other large
// render followed for returnMemoryAfter.
func (m *memoryReturner) after() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.free == nil {
		m.free = debug.FreeOSMemory
	}
	if m.timer == nil {
		m.timer = time.AfterFunc(returnMemoryAfter, func() { m.free() })
		return
	}
	m.timer.Reset(returnMemoryAfter)
}

// stop cancels a pending return (the app closes).
func (m *memoryReturner) stop() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.timer != nil {
		m.timer.Stop()
	}
	return nil
}
