package admission

import (
	"context"
	"errors"
	"testing"
	"time"
)

// enqueue starts Acquire for key in a goroutine and waits until it is in
// line; the result arrives on the returned channel.
type result struct {
	release func()
	err     error
}

func enqueue(t *testing.T, c *Controller, ctx context.Context, key string) <-chan result {
	t.Helper()
	_, before := c.Stats()
	ch := make(chan result, 1)
	go func() {
		r, err := c.Acquire(ctx, key)
		ch <- result{r, err}
	}()
	for deadline := time.Now().Add(5 * time.Second); ; {
		if _, w := c.Stats(); w > before {
			return ch
		}
		select {
		case r := <-ch: // answered at once
			ch2 := make(chan result, 1)
			ch2 <- r
			return ch2
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never got in line", key)
		}
		time.Sleep(time.Millisecond)
	}
}

func mustAcquire(t *testing.T, c *Controller, key string) func() {
	t.Helper()
	r, err := c.Acquire(context.Background(), key)
	if err != nil {
		t.Fatalf("Acquire(%s): %v", key, err)
	}
	return r
}

// pending fails the test if ch already has an answer.
func pending(t *testing.T, ch <-chan result, who string) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("%s was answered out of turn (err %v)", who, r.err)
	default:
	}
}

func granted(t *testing.T, ch <-chan result, who string) func() {
	t.Helper()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("%s: %v", who, r.err)
		}
		return r.release
	case <-time.After(5 * time.Second):
		t.Fatalf("%s was not granted a slot", who)
	}
	return nil
}

// One client with many requests in line delays another client's single
// request by one turn only.
func TestRoundRobinBetweenClients(t *testing.T) {
	c := New(Options{Slots: 1, Queue: 10, PerClient: 10, Wait: time.Minute})
	ctx := context.Background()
	hold := mustAcquire(t, c, "heavy")
	var heavy []<-chan result
	for range 5 {
		heavy = append(heavy, enqueue(t, c, ctx, "heavy"))
	}
	small := enqueue(t, c, ctx, "small")
	hold()
	r := granted(t, heavy[0], "heavy[0]") // heavy was first in line
	pending(t, small, "small")
	r()
	r = granted(t, small, "small") // then small's turn, before heavy[1..]
	for _, h := range heavy[1:] {
		pending(t, h, "heavy")
	}
	r()
	for _, h := range heavy[1:] {
		granted(t, h, "heavy")()
	}
	if run, wait := c.Stats(); run != 0 || wait != 0 {
		t.Errorf("after all: running %d, waiting %d", run, wait)
	}
	if len(c.clients) != 0 {
		t.Errorf("clients kept: %v", c.clients)
	}
}

func TestRefusals(t *testing.T) {
	ctx := context.Background()
	t.Run("per client", func(t *testing.T) {
		c := New(Options{Slots: 1, Queue: 10, PerClient: 2, Wait: time.Minute})
		r := mustAcquire(t, c, "a")
		w := enqueue(t, c, ctx, "a")
		if _, err := c.Acquire(ctx, "a"); !errors.Is(err, ErrClientFull) {
			t.Errorf("third request of a: %v, want ErrClientFull", err)
		}
		b := enqueue(t, c, ctx, "b") // another client still gets in line
		r()
		granted(t, w, "a")()
		granted(t, b, "b")()
	})
	t.Run("line full", func(t *testing.T) {
		c := New(Options{Slots: 1, Queue: 1, PerClient: 5, Wait: time.Minute})
		r := mustAcquire(t, c, "a")
		w := enqueue(t, c, ctx, "b")
		if _, err := c.Acquire(ctx, "c"); !errors.Is(err, ErrFull) {
			t.Errorf("with the line full: %v, want ErrFull", err)
		}
		r()
		granted(t, w, "b")()
	})
	t.Run("timeout", func(t *testing.T) {
		c := New(Options{Slots: 1, Queue: 1, PerClient: 5, Wait: 20 * time.Millisecond})
		r := mustAcquire(t, c, "a")
		if _, err := c.Acquire(ctx, "b"); !errors.Is(err, ErrTimeout) {
			t.Errorf("waiting past Wait: %v, want ErrTimeout", err)
		}
		if _, w := c.Stats(); w != 0 {
			t.Errorf("a timed-out request is still in line")
		}
		r()
		mustAcquire(t, c, "b")()
	})
	t.Run("caller gives up", func(t *testing.T) {
		c := New(Options{Slots: 1, Queue: 1, PerClient: 5, Wait: time.Minute})
		r := mustAcquire(t, c, "a")
		cctx, cancel := context.WithCancel(ctx)
		w := enqueue(t, c, cctx, "b")
		cancel()
		if res := <-w; !errors.Is(res.err, context.Canceled) {
			t.Errorf("cancelled: %v", res.err)
		}
		r()
		if run, wait := c.Stats(); run != 0 || wait != 0 {
			t.Errorf("running %d, waiting %d", run, wait)
		}
	})
	t.Run("close", func(t *testing.T) {
		c := New(Options{Slots: 1, Queue: 5, PerClient: 5, Wait: time.Minute})
		r := mustAcquire(t, c, "a")
		w1, w2 := enqueue(t, c, ctx, "b"), enqueue(t, c, ctx, "c")
		c.Close()
		for _, w := range []<-chan result{w1, w2} {
			if res := <-w; !errors.Is(res.err, ErrClosed) {
				t.Errorf("queued at close: %v, want ErrClosed", res.err)
			}
		}
		if _, err := c.Acquire(ctx, "d"); !errors.Is(err, ErrClosed) {
			t.Errorf("after close: %v, want ErrClosed", err)
		}
		r() // running work still releases
		if run, wait := c.Stats(); run != 0 || wait != 0 {
			t.Errorf("running %d, waiting %d", run, wait)
		}
	})
	t.Run("release twice", func(t *testing.T) {
		c := New(Options{Slots: 1})
		r := mustAcquire(t, c, "a")
		r()
		r()
		if run, _ := c.Stats(); run != 0 {
			t.Errorf("running %d after a double release", run)
		}
	})
}

func TestSlotsBound(t *testing.T) {
	c := New(Options{Slots: 3, Queue: 100, PerClient: 100, Wait: time.Minute})
	ctx := context.Background()
	var rel []func()
	for range 3 {
		rel = append(rel, mustAcquire(t, c, "a"))
	}
	w := enqueue(t, c, ctx, "a")
	if run, wait := c.Stats(); run != 3 || wait != 1 {
		t.Fatalf("running %d waiting %d, want 3 and 1", run, wait)
	}
	rel[0]()
	granted(t, w, "fourth")()
	rel[1]()
	rel[2]()
}

// BenchmarkAcquireRelease is the cost admission adds to a request that
// finds a free slot (go test ./internal/admission -bench .).
func BenchmarkAcquireRelease(b *testing.B) {
	c := New(Options{Slots: 1 << 20})
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r, err := c.Acquire(ctx, "10.0.0.1")
			if err != nil {
				b.Fatal(err)
			}
			r()
		}
	})
}
