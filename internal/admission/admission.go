// Package admission decides when CPU-heavy work may run: a fixed number of
// slots, a bounded line of waiters, a share per client, a longest wait and
// a fast refusal when the server shuts down.
//
// It counts work, not connections: a caller asks for a slot only once its
// input is read and bounded (a slow upload holds no slot). When a slot
// frees, the next waiter is taken round-robin over the clients that are
// waiting, so one client with many queued requests (twenty heavy GIFs)
// delays another client's single request by at most one turn, not by the
// whole line.
package admission

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"
)

// Why a request was refused. Each is answered with 503 and Retry-After.
var (
	// ErrFull: the line is full (Options.Queue waiters).
	ErrFull = errors.New("admission: the line is full")
	// ErrClientFull: this client already has Options.PerClient requests
	// running or waiting.
	ErrClientFull = errors.New("admission: this client has too many requests in line")
	// ErrTimeout: the request waited Options.Wait without a slot.
	ErrTimeout = errors.New("admission: waited too long")
	// ErrClosed: the server is shutting down.
	ErrClosed = errors.New("admission: shutting down")
)

// Options size a Controller; zero fields take the defaults.
type Options struct {
	Slots     int           // requests running at once; default GOMAXPROCS
	Queue     int           // requests waiting at once, all clients; default 64
	PerClient int           // requests running or waiting per client; default 16
	Wait      time.Duration // longest wait for a slot; default 10 s
}

// Defaults fills the zero fields of o.
func (o Options) Defaults() Options {
	if o.Slots <= 0 {
		o.Slots = runtime.GOMAXPROCS(0)
	}
	if o.Queue < 0 {
		o.Queue = 0
	} else if o.Queue == 0 {
		o.Queue = 64
	}
	if o.PerClient <= 0 {
		o.PerClient = 16
	}
	if o.Wait <= 0 {
		o.Wait = 10 * time.Second
	}
	return o
}

// Controller hands out slots. It is safe for concurrent use.
type Controller struct {
	opt Options

	mu      sync.Mutex
	running int
	queued  int
	clients map[string]*client
	turns   []*client // clients with waiters, in round-robin order
	closed  bool
}

type client struct {
	key     string
	running int
	waiting []*waiter
}

type waiter struct {
	c     *client
	ready chan struct{} // closed when granted (or the controller closes)
	ok    bool          // granted a slot (set before ready is closed)
}

// New returns a Controller with o (zero fields: defaults).
func New(o Options) *Controller {
	return &Controller{opt: o.Defaults(), clients: map[string]*client{}}
}

// Options reports the controller's sizes.
func (c *Controller) Options() Options { return c.opt }

// Stats reports the requests running and waiting now.
func (c *Controller) Stats() (running, waiting int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.running, c.queued
}

// Acquire waits for a slot for the client key (the remote address) and
// returns the function that gives it back (call it exactly once). It fails
// at once with ErrFull, ErrClientFull or ErrClosed, after Options.Wait with
// ErrTimeout, or with ctx.Err() when the caller gives up; then there is
// nothing to release.
func (c *Controller) Acquire(ctx context.Context, key string) (release func(), err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	cl := c.clients[key]
	if cl == nil {
		cl = &client{key: key}
		c.clients[key] = cl
	}
	if cl.running+len(cl.waiting) >= c.opt.PerClient {
		c.mu.Unlock()
		return nil, ErrClientFull
	}
	if c.running < c.opt.Slots && c.queued == 0 {
		c.running++
		cl.running++
		c.mu.Unlock()
		return c.releaser(cl), nil
	}
	if c.queued >= c.opt.Queue {
		c.dropIfIdle(cl)
		c.mu.Unlock()
		return nil, ErrFull
	}
	w := &waiter{c: cl, ready: make(chan struct{})}
	if len(cl.waiting) == 0 {
		c.turns = append(c.turns, cl)
	}
	cl.waiting = append(cl.waiting, w)
	c.queued++
	c.mu.Unlock()

	t := time.NewTimer(c.opt.Wait)
	defer t.Stop()
	select {
	case <-w.ready:
	case <-t.C:
		err = ErrTimeout
	case <-ctx.Done():
		err = ctx.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if w.ok {
		// Granted, possibly while the timer fired: keep the slot.
		return c.releaser(cl), nil
	}
	if err == nil { // ready closed without a grant: shutting down
		return nil, ErrClosed
	}
	c.removeWaiter(w)
	return nil, err
}

// releaser gives back cl's slot once.
func (c *Controller) releaser(cl *client) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.running--
			cl.running--
			c.grant()
			c.dropIfIdle(cl)
		})
	}
}

// grant hands free slots to waiters, one client's turn at a time.
// c.mu is held.
func (c *Controller) grant() {
	for c.running < c.opt.Slots && len(c.turns) > 0 {
		cl := c.turns[0]
		c.turns = c.turns[1:]
		w := cl.waiting[0]
		cl.waiting = cl.waiting[1:]
		if len(cl.waiting) > 0 {
			c.turns = append(c.turns, cl) // its next request waits for the others' turns
		}
		c.queued--
		c.running++
		cl.running++
		w.ok = true
		close(w.ready)
	}
}

// removeWaiter takes w out of the line (it gave up). c.mu is held.
func (c *Controller) removeWaiter(w *waiter) {
	cl := w.c
	for i, x := range cl.waiting {
		if x == w {
			cl.waiting = append(cl.waiting[:i], cl.waiting[i+1:]...)
			c.queued--
			break
		}
	}
	if len(cl.waiting) == 0 {
		for i, x := range c.turns {
			if x == cl {
				c.turns = append(c.turns[:i], c.turns[i+1:]...)
				break
			}
		}
	}
	c.dropIfIdle(cl)
}

// dropIfIdle forgets a client with nothing running or waiting. c.mu is held.
func (c *Controller) dropIfIdle(cl *client) {
	if cl.running == 0 && len(cl.waiting) == 0 && c.clients[cl.key] == cl {
		delete(c.clients, cl.key)
	}
}

// Close refuses every waiting and future request with ErrClosed (the
// server is shutting down: queued work fails fast instead of holding
// shutdown). Running work finishes and releases as usual.
func (c *Controller) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	for _, cl := range c.turns {
		for _, w := range cl.waiting {
			close(w.ready)
		}
		c.queued -= len(cl.waiting)
		cl.waiting = nil
		c.dropIfIdle(cl)
	}
	c.turns = nil
}
