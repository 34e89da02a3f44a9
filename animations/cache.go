package animations

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/singleflight"
)

// Kind is what a Cache renders: the animated GIF or the still PNG.
type Kind string

// The two kinds of image.
const (
	KindGIF   Kind = "gif"
	KindStill Kind = "png"
)

// ETag is the strong entity tag of p's image of kind k: it depends only on
// the normalised parameters and the drawing's Version, so it can be checked
// before anything is rendered.
func ETag(k Kind, p Params) string {
	sum := sha256.Sum256([]byte("convlab-anim/" + Version + "/" + string(k) + "/" + p.Key()))
	return `"a` + Version + "-" + hex.EncodeToString(sum[:12]) + `"`
}

// Entry is a rendered image.
type Entry struct {
	Body []byte // GIF or PNG bytes; shared, do not modify
	ETag string
}

// Cache renders images and keeps the most recently used ones up to a byte
// budget, so a repeated request costs a map lookup. Concurrent requests for
// the same image render it once. It is safe for concurrent use.
type Cache struct {
	maxBytes int64

	mu    sync.Mutex
	bytes int64
	lru   *list.List // of *cacheItem, most recent first
	items map[string]*list.Element

	group singleflight.Group
	sem   chan struct{} // bounds concurrent renders to the CPUs

	life context.Context // renders stop when it ends (Close)
	stop context.CancelFunc

	hits, renders atomic.Int64
}

type cacheItem struct {
	key   string
	entry Entry
}

// NewCache returns a cache holding at most maxBytes of image bytes.
func NewCache(maxBytes int64) *Cache {
	c := &Cache{maxBytes: maxBytes, lru: list.New(), items: map[string]*list.Element{},
		sem: make(chan struct{}, runtime.GOMAXPROCS(0))}
	c.life, c.stop = context.WithCancel(context.Background())
	return c
}

// Close stops the renders under way (between two frames; their callers
// get ErrClosed) and refuses new ones: the server is shutting down.
// Cached images are still served.
func (c *Cache) Close() { c.stop() }

// ErrClosed: the cache was closed while or before rendering.
var ErrClosed = errors.New("animations: the cache is closed")

// Get returns p's image of kind k, rendering it on a miss. At most
// GOMAXPROCS renders run at once; a caller waiting for its turn gives up
// when ctx ends (returning ctx.Err()). Other errors are the renderer's
// (*Error for parameters a student should change).
func (c *Cache) Get(ctx context.Context, k Kind, p Params) (Entry, error) {
	key := string(k) + "/" + p.Key()
	if e, ok := c.lookup(key); ok {
		c.hits.Add(1)
		return e, nil
	}
	v, err, _ := c.group.Do(key, func() (any, error) {
		if e, ok := c.lookup(key); ok {
			return e, nil
		}
		select {
		case c.sem <- struct{}{}:
			defer func() { <-c.sem }()
		case <-ctx.Done():
			return Entry{}, ctx.Err()
		case <-c.life.Done():
			return Entry{}, ErrClosed
		}
		if c.life.Err() != nil {
			return Entry{}, ErrClosed
		}
		var body []byte
		var err error
		if k == KindStill {
			body, err = Still(p)
		} else {
			body, err = RenderContext(c.life, p)
		}
		if c.life.Err() != nil {
			return Entry{}, ErrClosed
		}
		if err != nil {
			return Entry{}, err
		}
		c.renders.Add(1)
		e := Entry{Body: body, ETag: ETag(k, p)}
		c.store(key, e)
		return e, nil
	})
	if err != nil {
		return Entry{}, err
	}
	return v.(Entry), nil
}

// Peek returns p's image of kind k if the cache holds it (no rendering),
// so a caller can skip admission for a hit.
func (c *Cache) Peek(k Kind, p Params) (Entry, bool) {
	e, ok := c.lookup(string(k) + "/" + p.Key())
	if ok {
		c.hits.Add(1)
	}
	return e, ok
}

func (c *Cache) lookup(key string) (Entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return Entry{}, false
	}
	c.lru.MoveToFront(el)
	return el.Value.(*cacheItem).entry, true
}

func (c *Cache) store(key string, e Entry) {
	n := int64(len(e.Body))
	if n > c.maxBytes {
		return // larger than the whole budget: serve it, do not keep it
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[key]; ok {
		return
	}
	c.items[key] = c.lru.PushFront(&cacheItem{key: key, entry: e})
	c.bytes += n
	for c.bytes > c.maxBytes {
		last := c.lru.Back()
		it := last.Value.(*cacheItem)
		c.lru.Remove(last)
		delete(c.items, it.key)
		c.bytes -= int64(len(it.entry.Body))
	}
}

// Stats reports the bytes held, the entries held, the cache hits and the
// renders done so far.
func (c *Cache) Stats() (bytes int64, entries int, hits, renders int64) {
	c.mu.Lock()
	bytes, entries = c.bytes, len(c.items)
	c.mu.Unlock()
	return bytes, entries, c.hits.Load(), c.renders.Load()
}
