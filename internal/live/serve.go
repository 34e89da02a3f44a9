package live

import (
	"net/http"
	"time"
)

// StreamOptions tune ServeEvents; zero fields take defaults.
type StreamOptions struct {
	Heartbeat    time.Duration // comment line sent when idle; 15s
	WriteTimeout time.Duration // per write, so a vanished viewer is noticed; 30s
	// Done, when closed, ends the stream (the server is shutting down).
	Done <-chan struct{}
}

// ServeEvents streams the run's events to one viewer as Server-Sent
// Events until the viewer leaves (the request's context ends), a write
// fails, or the manager closes. The viewer first receives the current
// state. It never blocks the training goroutine.
func (m *Manager) ServeEvents(w http.ResponseWriter, r *http.Request, o StreamOptions) {
	if o.Heartbeat <= 0 {
		o.Heartbeat = 15 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 30 * time.Second
	}
	sub, ok := m.Subscribe()
	if !ok {
		http.Error(w, `{"error":"the server is shutting down"}`, http.StatusServiceUnavailable)
		return
	}
	defer m.hub.Unsubscribe(sub)

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	write := func(chunks ...[]byte) bool {
		// The server's WriteTimeout would cut a long stream: push the
		// deadline forward for each write instead.
		_ = rc.SetWriteDeadline(time.Now().Add(o.WriteTimeout))
		for _, c := range chunks {
			if _, err := w.Write(c); err != nil {
				return false
			}
		}
		return rc.Flush() == nil
	}
	// Tell the browser how soon to reconnect, and open the stream.
	if !write([]byte("retry: 3000\n\n")) {
		return
	}
	heart := time.NewTicker(o.Heartbeat)
	defer heart.Stop()
	ctx := r.Context()
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.hub.Done():
			return
		case <-o.Done:
			return
		case <-heart.C:
			if !write([]byte(": heartbeat\n\n")) {
				return
			}
		case <-sub.Ready():
			if evs := sub.Take(); len(evs) > 0 && !write(evs...) {
				return
			}
		}
	}
}
