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
	Stream(w, r, m.hub, sub, o)
}

// Stream writes sub's events to one viewer as Server-Sent Events until the
// viewer leaves (the request's context ends), a write fails (each write
// has its own deadline, so a vanished viewer is noticed), the hub closes
// or o.Done is closed. It unsubscribes sub when it returns, so a viewer
// leaves nothing behind; the publisher never waits for it. Any Hub can be
// streamed this way (the training run, the classroom follow-along).
func Stream(w http.ResponseWriter, r *http.Request, h *Hub, sub *Sub, o StreamOptions) {
	if o.Heartbeat <= 0 {
		o.Heartbeat = 15 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 30 * time.Second
	}
	defer h.Unsubscribe(sub)

	rc := http.NewResponseController(w)
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream; charset=utf-8")
	hdr.Set("Cache-Control", "no-cache, no-transform")
	hdr.Set("X-Accel-Buffering", "no")
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
		case <-h.Done():
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
