package animations

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/gif"
	"net/url"
	"runtime"
	"testing"
	"time"
)

// heavyQueries are among the largest animations the limits allow (the
// red-team's 2.7 MB, 194 MB render among them).
var heavyQueries = []string{
	"input=32&kernel=9&dilation=6x5&padding=16x16",
	"input=32&kernel=9&dilation=5x6&padding=16x16",
	"input=32&kernel=9&dilation=6&padding=16&stride=1",
}

func parseQ(t testing.TB, q string) Params {
	t.Helper()
	v, err := url.ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseQuery(v)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return p
}

// encodeAllReference is the old Render: every frame kept, then
// gif.EncodeAll.
func encodeAllReference(t testing.TB, p Params) []byte {
	t.Helper()
	pt, steps, err := prepare(p)
	if err != nil {
		t.Fatal(err)
	}
	a := &gif.GIF{Config: image.Config{ColorModel: palette, Width: pt.l.Width, Height: pt.l.Height},
		BackgroundIndex: cBackground}
	err = eachFrame(pt, steps, func(f *image.Paletted, delay int) error {
		c := image.NewPaletted(f.Rect, palette)
		copy(c.Pix, f.Pix)
		a.Image = append(a.Image, c)
		a.Delay = append(a.Delay, delay)
		a.Disposal = append(a.Disposal, gif.DisposalNone)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, a); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The frame-by-frame encoder writes exactly what gif.EncodeAll writes.
func TestWriteGIFMatchesEncodeAll(t *testing.T) {
	ps := []Params{parseQ(t, "input=1&kernel=1"), parseQ(t, "input=5&kernel=3&transposed=1&stride=2")}
	if !testing.Short() {
		ps = append(ps, parseQ(t, heavyQueries[0]))
	}
	for _, c := range Classic {
		ps = append(ps, c.Params)
	}
	for _, p := range ps {
		got, err := Render(p)
		if err != nil {
			t.Fatal(err)
		}
		if want := encodeAllReference(t, p); !bytes.Equal(got, want) {
			t.Errorf("%s: WriteGIF differs from gif.EncodeAll (%d vs %d bytes)", p.Key(), len(got), len(want))
		}
	}
}

// A render's memory does not grow with its frames: the heaviest
// animation allocates little more than its encoded size plus a few
// canvases (the old renderer held every frame: ~190 MB for this one).
func TestRenderMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("renders a heavy animation")
	}
	p := parseQ(t, heavyQueries[0])
	info, err := Measure(p)
	if err != nil {
		t.Fatal(err)
	}
	var peak uint64
	done := make(chan struct{})
	sampled := make(chan struct{})
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	b, err := Render(p)
	close(done)
	<-sampled
	if err != nil {
		t.Fatal(err)
	}
	canvas := uint64(info.Width * info.Height)
	// Allowed: the encoded GIF twice (bytes.Buffer growth), 4 canvases,
	// the trace, and garbage the collector has not reached yet (GOGC=100
	// lets the heap double): 64 MB is far below the old ~190 MB.
	const bound = 64 << 20
	grew := uint64(0)
	if peak > base {
		grew = peak - base
	}
	t.Logf("%s: %d frames of %dx%d, GIF %d bytes, heap grew by at most %.1f MB (canvas %.1f MB)",
		p.Key(), info.Frames, info.Width, info.Height, len(b), float64(grew)/(1<<20), float64(canvas)/(1<<20))
	if grew > bound {
		t.Errorf("rendering %s grew the heap by %d bytes, want at most %d", p.Key(), grew, bound)
	}
}

// A render stops between frames once its context ends; a closed cache
// refuses to render (the server is shutting down).
func TestRenderStopsOnCancel(t *testing.T) {
	p := parseQ(t, "input=19&kernel=2")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := RenderContext(ctx, p); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled render: %v", err)
	}
	c := NewCache(1 << 20)
	if _, err := c.Get(context.Background(), KindGIF, p); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := c.Get(context.Background(), KindGIF, p); err != nil {
		t.Errorf("a cached image after Close: %v", err)
	}
	if _, err := c.Get(context.Background(), KindGIF, parseQ(t, "input=18&kernel=2")); !errors.Is(err, ErrClosed) {
		t.Errorf("a render after Close: %v, want ErrClosed", err)
	}
}
