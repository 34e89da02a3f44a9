package live

import (
	"encoding/json"
	"fmt"
	"sync"
)

// Kind is an event type; a viewer keeps at most one pending event of each.
type Kind int

// Event kinds, in the order a viewer receives pending ones.
const (
	KindState Kind = iota
	KindHistory
	KindProgress
	KindEval
	KindMaps
	KindFilter // one training step at the first conv layer (FilterUpdate)
	numKinds
)

var kindNames = [numKinds]string{"state", "history", "progress", "eval", "maps", "filter"}

func (k Kind) String() string { return kindNames[k] }

// Event is one encoded Server-Sent Event, shared by every viewer.
type Event struct {
	Kind Kind
	Wire []byte // "event: <kind>\ndata: <json>\n\n"
}

// Encode builds an event from a JSON-encodable value.
func Encode(k Kind, v any) (Event, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Event{}, fmt.Errorf("live: encoding %s event: %w", k, err)
	}
	wire := make([]byte, 0, len(b)+32)
	wire = fmt.Appendf(wire, "event: %s\ndata: ", k)
	wire = append(wire, b...)
	wire = append(wire, "\n\n"...)
	return Event{Kind: k, Wire: wire}, nil
}

// Hub broadcasts events to subscribers without ever blocking the
// publisher: each subscriber holds at most one pending event per kind
// (the latest wins), and a 1-slot notification channel.
type Hub struct {
	mu     sync.Mutex
	subs   map[*Sub]struct{}
	closed bool
	done   chan struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{subs: map[*Sub]struct{}{}, done: make(chan struct{})}
}

// Sub is one viewer's subscription.
type Sub struct {
	mu      sync.Mutex
	pending [numKinds][]byte
	notify  chan struct{}
	// Dropped counts events replaced before this viewer took them.
	dropped int
}

// Subscribe adds a viewer whose first events are initial (in order of
// kind). It returns ok=false when the hub is closed.
func (h *Hub) Subscribe(initial ...Event) (*Sub, bool) {
	s := &Sub{notify: make(chan struct{}, 1)}
	for _, e := range initial {
		s.put(e)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, false
	}
	h.subs[s] = struct{}{}
	return s, true
}

// Unsubscribe removes a viewer; it is safe to call more than once.
func (h *Hub) Unsubscribe(s *Sub) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
}

// Len is the number of current subscribers.
func (h *Hub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Publish hands e to every subscriber. It never blocks on a subscriber.
func (h *Hub) Publish(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		s.put(e)
	}
}

// Close ends every subscription: Done is closed, and later Subscribe
// calls fail.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	h.subs = map[*Sub]struct{}{}
	close(h.done)
}

// Done is closed when the hub closes.
func (h *Hub) Done() <-chan struct{} { return h.done }

func (s *Sub) put(e Event) {
	s.mu.Lock()
	if s.pending[e.Kind] != nil {
		s.dropped++
	}
	s.pending[e.Kind] = e.Wire
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// Ready is signalled when events are pending.
func (s *Sub) Ready() <-chan struct{} { return s.notify }

// Take returns the pending events in kind order and clears them.
func (s *Sub) Take() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out [][]byte
	for k := range s.pending {
		if s.pending[k] != nil {
			out = append(out, s.pending[k])
			s.pending[k] = nil
		}
	}
	return out
}

// Dropped is how many events this viewer skipped because it was slow.
func (s *Sub) Dropped() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}
