package animations

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/convlab/convlab/conv"
)

var update = flag.Bool("update", false, "rewrite the golden GIFs in testdata/")

// decode renders p and decodes the GIF.
func decode(t testing.TB, p Params) *gif.GIF {
	t.Helper()
	b, err := Render(p)
	if err != nil {
		t.Fatalf("Render(%s): %v", p.Key(), err)
	}
	a, err := gif.DecodeAll(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode %s: %v", p.Key(), err)
	}
	return a
}

// compose plays frames 0..upto of a (every frame is drawn over the previous
// one, its transparent pixels leaving what was there, as DisposalNone says)
// and returns the picture a viewer sees at frame upto.
func compose(t testing.TB, a *gif.GIF, upto int) *image.RGBA {
	t.Helper()
	out := image.NewRGBA(image.Rect(0, 0, a.Config.Width, a.Config.Height))
	for i := 0; i <= upto; i++ {
		if a.Disposal[i] != gif.DisposalNone {
			t.Fatalf("frame %d: disposal %d, the renderer only uses DisposalNone", i, a.Disposal[i])
		}
		f := a.Image[i]
		for y := f.Rect.Min.Y; y < f.Rect.Max.Y; y++ {
			for x := f.Rect.Min.X; x < f.Rect.Max.X; x++ {
				c := f.Palette[f.ColorIndexAt(x, y)]
				if _, _, _, alpha := c.RGBA(); alpha == 0 {
					continue
				}
				out.Set(x, y, c)
			}
		}
	}
	return out
}

// The cases whose windows are checked pixel by pixel: a plain, a padded and
// strided, a dilated and two transposed convolutions, one of them not square.
var windowCases = []struct {
	name string
	p    Params
}{
	{"plain", Params{Input: sq(4), Kernel: sq(3)}},
	{"padded+strided", Params{Input: sq(5), Kernel: sq(3), Stride: sq(2), Padding: sq(1)}},
	{"dilated", Params{Input: sq(7), Kernel: sq(3), Dilation: sq(2)}},
	{"transposed", Params{Input: sq(3), Kernel: sq(3), Stride: sq(2), Padding: sq(1), OutputPadding: sq(1), Transposed: true}},
	{"rectangular transposed", Params{Input: [2]int{2, 3}, Kernel: [2]int{2, 3}, Stride: [2]int{3, 1}, Padding: [2]int{0, 1}, Transposed: true}},
}

func TestFramesAndTiming(t *testing.T) {
	cases := append([]struct {
		name string
		p    Params
	}{}, windowCases...)
	for _, c := range Classic {
		cases = append(cases, struct {
			name string
			p    Params
		}{c.Name, c.Params})
	}
	for _, tc := range cases {
		g, err := tc.p.Resolve()
		if err != nil {
			t.Fatal(err)
		}
		info, err := Measure(tc.p)
		if err != nil {
			t.Fatal(err)
		}
		a := decode(t, tc.p)
		if len(a.Image) != g.OutH*g.OutW+1 || info.Frames != len(a.Image) {
			t.Errorf("%s: %d frames (Measure says %d), want one per output cell (%d) plus the finished output",
				tc.name, len(a.Image), info.Frames, g.OutH*g.OutW)
		}
		if a.Config.Width != info.Width || a.Config.Height != info.Height {
			t.Errorf("%s: %dx%d image, Measure says %dx%d", tc.name, a.Config.Width, a.Config.Height, info.Width, info.Height)
		}
		if a.Config.Width > MaxWidth || a.Config.Height > MaxHeight || info.Cell < MinCell || info.Cell > MaxCell {
			t.Errorf("%s: %dx%d with %d px cells is outside the limits", tc.name, a.Config.Width, a.Config.Height, info.Cell)
		}
		if a.LoopCount != 0 {
			t.Errorf("%s: LoopCount %d, want 0 (forever)", tc.name, a.LoopCount)
		}
		last := a.Delay[len(a.Delay)-1]
		for i, d := range a.Delay[:len(a.Delay)-1] {
			if d < 2 || d >= last {
				t.Errorf("%s: frame %d delay %d (last frame %d): want visible steps and a longer last frame", tc.name, i, d, last)
				break
			}
		}
		if b := a.Image[0].Bounds(); b != image.Rect(0, 0, a.Config.Width, a.Config.Height) {
			t.Errorf("%s: first frame covers %v, want the whole image", tc.name, b)
		}
		for i, f := range a.Image {
			if len(f.Palette) != len(palette) {
				t.Fatalf("%s: frame %d has %d colours, want the shared palette of %d", tc.name, i, len(f.Palette), len(palette))
			}
		}
	}
}

// cellCentre is the pixel at the centre of grid cell (y, x) or output cell.
func cellCentre(l layout, output bool, y, x int) (int, int) {
	if output {
		return l.ox + x*l.Cell + l.Cell/2, l.oy + y*l.Cell + l.Cell/2
	}
	return l.gx + x*l.Cell + l.Cell/2, l.gy + y*l.Cell + l.Cell/2
}

func same(a, b color.Color) bool {
	r1, g1, b1, a1 := a.RGBA()
	r2, g2, b2, a2 := b.RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2 && a1 == a2
}

// In a chosen frame the highlighted window covers exactly the grid cells the
// engine's trace says that output cell reads; every other cell shows its
// kind (input, padding, inserted zero) unhighlighted; the output shows the
// cells before it computed, it current and the rest empty.
func TestWindowCoversTrace(t *testing.T) {
	tapColour := map[conv.CellKind]uint8{conv.Real: cRealTap, conv.ZeroPad: cPadTap, conv.Inserted: cInsertedTap, conv.CopyPad: cCopyTap}
	baseColour := map[conv.CellKind]uint8{conv.Real: cReal, conv.ZeroPad: cPad, conv.Inserted: cInserted, conv.CopyPad: cCopy}
	for _, tc := range windowCases {
		g, err := tc.p.Resolve()
		if err != nil {
			t.Fatal(err)
		}
		l, err := newLayout(g)
		if err != nil {
			t.Fatal(err)
		}
		a := decode(t, tc.p)
		steps := g.OutH * g.OutW
		// the first, a middle one, and the last step
		for _, i := range []int{0, steps / 2, steps - 1} {
			oy, ox := i/g.OutW, i%g.OutW
			x := make([]float32, g.InH*g.InW)
			w := make([]float32, g.KernelSize[0]*g.KernelSize[1])
			st := conv.TraceStep(g, x, w, nil, 0, oy, ox)
			reads := map[[2]int]bool{}
			for _, tp := range st.Taps {
				reads[[2]int{tp.Y, tp.X}] = true
			}
			img := compose(t, a, i)
			highlighted := 0
			for y := range g.PaddedH() {
				for xx := range g.PaddedW() {
					cell := g.CellAt(y, xx)
					want := baseColour[cell.Kind]
					if reads[[2]int{y, xx}] {
						want = tapColour[cell.Kind]
					}
					px, py := cellCentre(l, false, y, xx)
					got := img.At(px, py)
					if !same(got, palette[want]) {
						t.Errorf("%s step %d: grid cell (%d,%d) %s is %v, want %v (under the kernel: %v)",
							tc.name, i, y, xx, cell.Kind, got, palette[want], reads[[2]int{y, xx}])
					}
					if same(got, palette[tapColour[cell.Kind]]) {
						highlighted++
					}
				}
			}
			if highlighted != len(st.Taps) {
				t.Errorf("%s step %d: %d cells highlighted, the trace reads %d", tc.name, i, highlighted, len(st.Taps))
			}
			for y := range g.OutH {
				for xx := range g.OutW {
					k := y*g.OutW + xx
					want := palette[cOutEmpty]
					switch {
					case k < i:
						want = palette[cOutDone]
					case k == i:
						want = palette[cOutCurrent]
					}
					px, py := cellCentre(l, true, y, xx)
					if got := img.At(px, py); !same(got, want) {
						t.Errorf("%s step %d: output (%d,%d) is %v, want %v", tc.name, i, y, xx, got, want)
					}
				}
			}
		}
		// The last frame: nothing highlighted, every output computed.
		img := compose(t, a, len(a.Image)-1)
		for y := range g.PaddedH() {
			for xx := range g.PaddedW() {
				px, py := cellCentre(l, false, y, xx)
				if got, want := img.At(px, py), palette[baseColour[g.CellAt(y, xx).Kind]]; !same(got, want) {
					t.Errorf("%s last frame: grid cell (%d,%d) is %v, want %v", tc.name, y, xx, got, want)
				}
			}
		}
		for y := range g.OutH {
			for xx := range g.OutW {
				px, py := cellCentre(l, true, y, xx)
				if got := img.At(px, py); !same(got, palette[cOutDone]) {
					t.Errorf("%s last frame: output (%d,%d) is %v, want computed", tc.name, y, xx, got)
				}
			}
		}
	}
}

// Frames after the first only carry what changed: the file stays small.
func TestFramesAreDeltas(t *testing.T) {
	p, _ := Lookup("full_padding_no_strides")
	a := decode(t, p)
	full := a.Config.Width * a.Config.Height
	for i, f := range a.Image[1:] {
		if n := f.Bounds().Dx() * f.Bounds().Dy(); n >= full {
			t.Errorf("frame %d covers %d of %d pixels: not a delta", i+1, n, full)
		}
	}
	b, _ := Render(p)
	if len(b) > 150_000 {
		t.Errorf("full_padding_no_strides is %d bytes", len(b))
	}
}

func TestStill(t *testing.T) {
	p, _ := Lookup("padding_strides")
	b, err := Still(p)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	a := decode(t, p)
	first := compose(t, a, 0)
	if img.Bounds() != first.Bounds() {
		t.Fatalf("still %v, GIF %v", img.Bounds(), first.Bounds())
	}
	for y := 0; y < first.Bounds().Dy(); y++ {
		for x := 0; x < first.Bounds().Dx(); x++ {
			if !same(img.At(x, y), first.At(x, y)) {
				t.Fatalf("still differs from the GIF's first frame at (%d,%d)", x, y)
			}
		}
	}
	if _, err := Still(Params{Input: sq(40), Kernel: sq(3)}); !IsUserError(err) {
		t.Errorf("Still of a too large input: %v", err)
	}
}

// goldenCases are compared byte for byte with testdata/<file>.gif; run
// `go test ./animations -update` after an intended change of the drawing
// (and bump Version), then look at the new GIFs in review.
var goldenCases = []struct {
	file string
	p    Params
}{
	{"no_padding_no_strides", must(Lookup("no_padding_no_strides"))},
	{"padding_strides", must(Lookup("padding_strides"))},
	{"dilation", must(Lookup("dilation"))},
	{"padding_strides_odd_transposed", must(Lookup("padding_strides_odd_transposed"))},
	{"numbers_padding_strides", Params{Input: sq(5), Kernel: sq(3), Stride: sq(2), Padding: sq(1), Numbers: true}},
}

func must(p Params, ok bool) Params {
	if !ok {
		panic("no such classic animation")
	}
	return p
}

func TestGolden(t *testing.T) {
	for _, gc := range goldenCases {
		name, p := gc.file, gc.p
		got, err := Render(p)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", name+".gif")
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./animations -update to create it)", err)
		}
		if bytes.Equal(got, want) {
			continue
		}
		t.Errorf("%s: the GIF differs from %s: %s (if intended, bump Version and run go test ./animations -update)",
			name, path, firstDifference(t, want, got))
	}
}

// firstDifference names the first frame where two GIFs differ.
func firstDifference(t *testing.T, want, got []byte) string {
	wa, err := gif.DecodeAll(bytes.NewReader(want))
	if err != nil {
		return "golden file does not decode: " + err.Error()
	}
	ga, err := gif.DecodeAll(bytes.NewReader(got))
	if err != nil {
		return "new GIF does not decode: " + err.Error()
	}
	if len(wa.Image) != len(ga.Image) {
		return fmt.Sprintf("%d frames, golden has %d", len(ga.Image), len(wa.Image))
	}
	for i := range wa.Image {
		w, g := compose(t, wa, i), compose(t, ga, i)
		if w.Bounds() != g.Bounds() {
			return fmt.Sprintf("size %v, golden %v", g.Bounds(), w.Bounds())
		}
		if !bytes.Equal(w.Pix, g.Pix) {
			return fmt.Sprintf("frame %d looks different", i)
		}
		if wa.Delay[i] != ga.Delay[i] {
			return fmt.Sprintf("frame %d delay %d, golden %d", i, ga.Delay[i], wa.Delay[i])
		}
	}
	return "same pictures, different encoding"
}

// largestClassic is the classic animation with the most pixels to draw.
func largestClassic(tb testing.TB) Named {
	var best Named
	most := 0
	for _, c := range Classic {
		info, err := Measure(c.Params)
		if err != nil {
			tb.Fatal(err)
		}
		if n := info.Width * info.Height * info.Frames; n > most {
			best, most = c, n
		}
	}
	return best
}

// BenchmarkRender draws the largest classic animation from scratch.
func BenchmarkRender(b *testing.B) {
	c := largestClassic(b)
	b.ReportAllocs()
	var n int
	for b.Loop() {
		out, err := Render(c.Params)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "gif-bytes")
}

// BenchmarkCacheHit is a repeated request.
func BenchmarkCacheHit(b *testing.B) {
	c := largestClassic(b)
	cache := NewCache(8 << 20)
	if _, err := cache.Get(context.Background(), KindGIF, c.Params); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cache.Get(context.Background(), KindGIF, c.Params); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleRender() {
	p, _ := Lookup("padding_strides")
	b, err := Render(p)
	if err != nil {
		panic(err)
	}
	a, _ := gif.DecodeAll(bytes.NewReader(b))
	rs, _ := p.Relations()
	fmt.Println(rs[0].Formula)
	fmt.Println(rs[0].Filled)
	fmt.Println(len(a.Image), "frames:", 9, "output cells and the finished output")
	// Output:
	// o = ⌊(i + 2p − k)/s⌋ + 1
	// o = ⌊(5 + 2·1 − 3)/2⌋ + 1 = 3
	// 10 frames: 9 output cells and the finished output
}
