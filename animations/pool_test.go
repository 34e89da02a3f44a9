package animations

import (
	"bytes"
	"image"
	"image/draw"
	"image/gif"
	"image/png"
	"net/url"
	"testing"
)

// composite plays a GIF's frames onto one canvas, as a browser does with
// DisposalNone, and returns the canvas after each frame.
func composite(t *testing.T, data []byte) (*gif.GIF, []*image.Paletted) {
	t.Helper()
	g, err := gif.DecodeAll(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decoding the GIF: %v", err)
	}
	canvas := image.NewPaletted(image.Rect(0, 0, g.Config.Width, g.Config.Height), palette)
	var out []*image.Paletted
	for _, f := range g.Image {
		draw.Draw(canvas, f.Bounds(), f, f.Bounds().Min, draw.Over)
		c := image.NewPaletted(canvas.Rect, palette)
		copy(c.Pix, canvas.Pix)
		out = append(out, c)
	}
	return g, out
}

// TestPoolAnimations: every gallery pooling animation decodes, has one
// frame per output cell plus the finished one, fills every output cell by
// the end, and outlines the window's maximum (the engine's argmax) in max
// pooling.
func TestPoolAnimations(t *testing.T) {
	for _, c := range ClassicPool {
		data, err := RenderPool(c.Params)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		pp, err := preparePool(c.Params)
		if err != nil {
			t.Fatal(err)
		}
		g, frames := composite(t, data)
		if n := len(pp.steps) + 1; len(g.Image) != n {
			t.Errorf("%s: %d frames, want %d (one per output cell + the result)", c.Name, len(g.Image), n)
		}
		l := pp.pt.l
		if g.Config.Width != l.Width || g.Config.Height != l.Height || l.Cell < MinNumbersCell {
			t.Errorf("%s: %dx%d, cell %d", c.Name, g.Config.Width, g.Config.Height, l.Cell)
		}
		last := frames[len(frames)-1]
		for _, st := range pp.steps {
			r := pp.pt.outRect(st.OutY, st.OutX)
			if got := last.ColorIndexAt(r.Min.X+2, r.Min.Y+2); !sameIdx(got, cOutDone) {
				t.Errorf("%s: output (%d,%d) not filled at the end (colour %d)", c.Name, st.OutY, st.OutX, got)
			}
		}
		for i, st := range pp.steps {
			f := frames[i]
			r := pp.pt.outRect(st.OutY, st.OutX)
			if got := f.ColorIndexAt(r.Min.X+4, r.Min.Y+4); !sameIdx(got, cOutCurrent) {
				t.Errorf("%s frame %d: the current output cell is colour %d", c.Name, i, got)
			}
			for k, tp := range st.Taps {
				gr := pp.pt.gridRect(tp.Y-pp.y0, tp.X-pp.x0, tp.Y-pp.y0+1, tp.X-pp.x0+1)
				probe := f.ColorIndexAt(gr.Min.X+3, gr.Min.Y+3) // on the winner's outline
				winner := c.Params.Op == "max" && k == st.Arg
				if winner && !sameIdx(probe, cOutline) {
					t.Errorf("%s frame %d: the max at (%d,%d) is not outlined", c.Name, i, tp.Y, tp.X)
				}
				if !winner && tp.Inside && !sameIdx(probe, cRealTap) {
					t.Errorf("%s frame %d: window cell (%d,%d) is colour %d, want the window's", c.Name, i, tp.Y, tp.X, probe)
				}
			}
		}
		png1, err := StillPool(c.Params)
		if err != nil {
			t.Fatal(err)
		}
		im, err := png.Decode(bytes.NewReader(png1))
		if err != nil || im.Bounds() != frames[0].Bounds() {
			t.Errorf("%s: still %v, %v", c.Name, im.Bounds(), err)
		}
	}
}

// TestPoolAnimationValues: the numbers written are the engine's: the
// numerical examples give conv_arithmetic's outputs.
func TestPoolAnimationValues(t *testing.T) {
	want := map[string][]string{
		"numerical-max-pooling":     {"3", "3", "3", "3", "3", "3", "3", "2", "3"},
		"numerical-average-pooling": {"1.7", "1.7", "1.7", "1.0", "1.2", "1.8", "1.1", "0.8", "1.3"},
	}
	for _, c := range ClassicPool[:2] {
		pp, err := preparePool(c.Params)
		if err != nil {
			t.Fatal(err)
		}
		for i, st := range pp.steps {
			if got := pp.outText(st.Value); got != want[c.Name][i] {
				t.Errorf("%s output %d: %s, conv_arithmetic shows %s", c.Name, i, got, want[c.Name][i])
			}
		}
	}
}

func TestPoolAnimationQuery(t *testing.T) {
	for _, c := range ClassicPool {
		q, _ := url.ParseQuery(c.Params.Query())
		p, err := ParsePoolQuery(q)
		if err != nil {
			t.Fatalf("%s: %v", c.Params.Query(), err)
		}
		if _, err := p.Resolve(); err != nil {
			t.Errorf("%s: %v", c.Params.Query(), err)
		}
		a, _ := RenderPool(p)
		b, _ := RenderPool(c.Params)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: the query does not give the same animation", c.Name)
		}
	}
	for _, tc := range []struct{ q, param string }{
		{"op=min", "op"}, {"input=13", "input"}, {"kernel=7", "kernel"}, {"kernel=2&padding=2", "padding"},
		{"op=avg&dilation=2", "dilation"}, {"stride=0", "stride"}, {"input=2&kernel=3", "kernel"},
		{"op=max&count_include_pad=0", "count_include_pad"}, {"ceil_mode=maybe", "ceil_mode"}, {"input=5&input=6", "input"},
	} {
		q, _ := url.ParseQuery(tc.q)
		p, err := ParsePoolQuery(q)
		if err == nil {
			_, err = RenderPool(p)
		}
		e, ok := err.(*Error)
		if !ok || e.Param != tc.param {
			t.Errorf("%s: %v, want an error about %s", tc.q, err, tc.param)
		}
	}
}

// sameIdx reports whether two palette entries are the same colour (the GIF
// decoder cannot tell equal colours of the palette apart).
func sameIdx(a, b uint8) bool { return palette[a] == palette[b] }
