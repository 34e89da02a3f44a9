package animations

import (
	"bytes"
	"image/gif"
	"net/url"
	"testing"
)

// FuzzParams feeds arbitrary query strings through everything a request
// for /animations/custom.gif does: the parser, the bounds, the engine's
// checks, and (when small) the renderer. It must never panic; every
// rejection must be a user error (a 4xx), every acceptance a valid GIF of
// bounded size. Seeds: testdata/fuzz/FuzzParams and the ones below.
func FuzzParams(f *testing.F) {
	for _, c := range Classic {
		f.Add(c.Params.Query())
	}
	for _, s := range []string{
		"", "input=32&kernel=1", "input=32x1&kernel=1x1", "input=1&kernel=1&padding=16",
		"input=3&kernel=3&stride=2&transposed=1&output_padding=1", "input=2&kernel=9&stride=8&dilation=8&transposed=1",
		"input=-1", "kernel=0", "stride=%00", "padding=1x2x3", "input=9999999999999999999", "transposed=2",
		"input=5&input=6", "output_padding=1", "dilation=8&kernel=9&input=32", "input=%E2%80%AE3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return // the server answers 400 before we are called
		}
		p, err := ParseQuery(q)
		if err != nil {
			if !IsUserError(err) || err.Error() == "" {
				t.Fatalf("ParseQuery(%q): %v is not a user error with a message", raw, err)
			}
			return
		}
		g, err := p.Resolve()
		if err != nil {
			if !IsUserError(err) || err.Error() == "" {
				t.Fatalf("Resolve(%q): %v is not a user error with a message", raw, err)
			}
			return
		}
		info, err := Measure(p)
		if err != nil {
			t.Fatalf("Measure(%q) failed after Resolve passed: %v", raw, err)
		}
		if info.Width > MaxWidth || info.Height > MaxHeight || info.Frames > MaxFrames || info.Frames != g.OutH*g.OutW+1 {
			t.Fatalf("%q: %+v is out of bounds", raw, info)
		}
		if info.Frames > 12 {
			return // rendering the big ones is covered by the benchmarks
		}
		b, err := Render(p)
		if err != nil {
			t.Fatalf("Render(%q): %v", raw, err)
		}
		a, err := gif.DecodeAll(bytes.NewReader(b))
		if err != nil || len(a.Image) != info.Frames {
			t.Fatalf("Render(%q): %v, %d frames", raw, err, len(a.Image))
		}
	})
}
