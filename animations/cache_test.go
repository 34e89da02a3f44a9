package animations

import (
	"context"
	"errors"
	"sync"
	"testing"
)

func TestCacheHitsAndEviction(t *testing.T) {
	ctx := context.Background()
	a, _ := Lookup("no_padding_no_strides")
	b, _ := Lookup("padding_strides")
	ra, _ := Render(a)
	rb, _ := Render(b)
	// Room for both images, not for a third.
	c := NewCache(int64(len(ra) + len(rb)))
	e1, err := c.Get(ctx, KindGIF, a)
	if err != nil {
		t.Fatal(err)
	}
	e2, err := c.Get(ctx, KindGIF, a)
	if err != nil {
		t.Fatal(err)
	}
	if &e1.Body[0] != &e2.Body[0] || e1.ETag != ETag(KindGIF, a) {
		t.Error("the second Get did not return the cached bytes")
	}
	if string(e1.Body) != string(ra) {
		t.Error("cached bytes differ from Render's")
	}
	if _, _, hits, renders := c.Stats(); hits != 1 || renders != 1 {
		t.Errorf("hits %d renders %d, want 1 and 1", hits, renders)
	}
	if _, err := c.Get(ctx, KindGIF, b); err != nil {
		t.Fatal(err)
	}
	bytes, entries, _, _ := c.Stats()
	if entries != 2 || bytes != int64(len(ra)+len(rb)) {
		t.Errorf("%d entries, %d bytes; want 2 and %d", entries, bytes, len(ra)+len(rb))
	}
	// a was used more recently than b? No: b is newest. Touch a, add a third: b goes.
	if _, err := c.Get(ctx, KindGIF, a); err != nil {
		t.Fatal(err)
	}
	d, _ := Lookup("dilation")
	if _, err := c.Get(ctx, KindGIF, d); err != nil {
		t.Fatal(err)
	}
	bytes, _, _, renders := c.Stats()
	if bytes > c.maxBytes {
		t.Errorf("cache holds %d bytes, budget %d", bytes, c.maxBytes)
	}
	if _, ok := c.lookup(string(KindGIF) + "/" + b.Key()); ok {
		t.Error("the least recently used image was not evicted")
	}
	if _, err := c.Get(ctx, KindGIF, b); err != nil {
		t.Fatal(err)
	}
	if _, _, _, r := c.Stats(); r != renders+1 {
		t.Errorf("an evicted image was not rendered again (renders %d → %d)", renders, r)
	}
	// The PNG is a different entry.
	s, err := c.Get(ctx, KindStill, a)
	if err != nil || string(s.Body[1:4]) != "PNG" || s.ETag == e1.ETag {
		t.Errorf("still: %q %v", s.ETag, err)
	}
}

func TestCacheConcurrentRendersOnce(t *testing.T) {
	c := NewCache(1 << 20)
	p, _ := Lookup("full_padding_no_strides")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := c.Get(context.Background(), KindGIF, p); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if _, _, hits, renders := c.Stats(); renders != 1 {
		t.Errorf("8 concurrent requests rendered %d times (hits %d), want once", renders, hits)
	}
}

func TestCacheErrors(t *testing.T) {
	c := NewCache(1 << 20)
	if _, err := c.Get(context.Background(), KindGIF, Params{Input: sq(99), Kernel: sq(3)}); !IsUserError(err) {
		t.Errorf("bad params: %v", err)
	}
	if _, entries, _, _ := c.Stats(); entries != 0 {
		t.Error("an error was cached")
	}
	// A caller whose request is gone does not wait for a render slot.
	for range cap(c.sem) {
		c.sem <- struct{}{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p, _ := Lookup("dilation")
	if _, err := c.Get(ctx, KindGIF, p); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with a cancelled context while busy: %v", err)
	}
}
