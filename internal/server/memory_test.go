package server

import (
	"sync/atomic"
	"testing"
	"time"
)

// Memory is returned once enough was rendered, once per delay, never
// after the app closed.
func TestMemoryReturner(t *testing.T) {
	var calls atomic.Int32
	m := &memoryReturner{free: func() { calls.Add(1) }, delay: 20 * time.Millisecond}
	m.after(returnMemoryBytes / 2)
	time.Sleep(60 * time.Millisecond)
	if n := calls.Load(); n != 0 {
		t.Fatalf("returned after half the bytes: %d calls", n)
	}
	for range 10 { // a burst: one return
		m.after(returnMemoryBytes / 2)
	}
	waitFor(t, func() bool { return calls.Load() == 1 }, "one return after the burst")
	time.Sleep(60 * time.Millisecond)
	if n := calls.Load(); n != 1 {
		t.Errorf("%d returns for one burst", n)
	}
	m.after(returnMemoryBytes)
	m.stop()
	time.Sleep(60 * time.Millisecond)
	if n := calls.Load(); n != 1 {
		t.Errorf("returned after stop: %d calls", n)
	}
}
