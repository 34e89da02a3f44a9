package animations

import (
	"bytes"
	"errors"
	"image"
	"image/gif"
	"image/png"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/internal/apperr"
)

// Pooling animations: conv_arithmetic's numerical max- and average-pooling
// figures for any MaxPool2d / AvgPool2d configuration. The input holds
// small whole numbers (PoolInput); the window slides one output cell per
// frame, its cells drawn from the engine's pooling trace (conv.Pool.TraceMax
// / TraceAvg), the maximum outlined, and each output is the trace's value.

// Limits of a pooling animation (numbers need MinNumbersCell-pixel cells).
const (
	MaxPoolInput  = 12
	MaxPoolKernel = 6
	MaxPoolStride = 6
	MaxPoolDil    = 4
)

// PoolParams is one pooling of a single-channel Input to animate. Zero
// Stride means the kernel size and zero Dilation 1, as in PyTorch.
type PoolParams struct {
	Op         string // "max" or "avg"
	Input      [2]int
	Kernel     [2]int
	Stride     [2]int
	Padding    [2]int
	Dilation   [2]int // max only
	CeilMode   bool
	ExcludePad bool // avg: count_include_pad=False
}

// ClassicPool are the gallery's pooling animations; the first two are
// conv_arithmetic's numerical max and average pooling (5×5, 3×3, stride 1).
var ClassicPool = []struct {
	Name   string
	Params PoolParams
}{
	{"numerical-max-pooling", PoolParams{Op: "max", Input: sq(5), Kernel: sq(3), Stride: sq(1)}},
	{"numerical-average-pooling", PoolParams{Op: "avg", Input: sq(5), Kernel: sq(3), Stride: sq(1)}},
	{"max-pooling-2x2", PoolParams{Op: "max", Input: sq(6), Kernel: sq(2)}},
	{"max-pooling-ceil-mode", PoolParams{Op: "max", Input: sq(5), Kernel: sq(2), CeilMode: true}},
	{"average-pooling-padding", PoolParams{Op: "avg", Input: sq(4), Kernel: sq(3), Stride: sq(2), Padding: sq(1)}},
	{"max-pooling-dilation", PoolParams{Op: "max", Input: sq(7), Kernel: sq(2), Stride: sq(2), Dilation: sq(2)}},
}

// PoolInput is the input of a pooling animation: whole numbers 0..3 (for
// 5×5 conv_arithmetic's own example).
func PoolInput(h, w int) []float32 {
	x := make([]float32, h*w)
	if h == 5 && w == 5 {
		copy(x, []float32{3, 3, 2, 1, 0, 0, 0, 1, 3, 1, 3, 1, 2, 2, 3, 2, 0, 0, 2, 2, 2, 0, 0, 0, 1})
		return x
	}
	for y := range h {
		for c := range w {
			x[y*w+c] = float32((3*y + 2*c + y*c + 1) % 4)
		}
	}
	return x
}

// Resolve checks p against the animation's limits and PyTorch's rules.
// Errors are *Error (conv's refusals keep their words).
func (p PoolParams) Resolve() (*conv.Pool, error) {
	if p.Op != "max" && p.Op != "avg" {
		return nil, errf("op", "pool_op", apperr.Q("got", clip(p.Op)))
	}
	for _, f := range []struct {
		name string
		v    [2]int
		lo   int
		hi   int
	}{{"input", p.Input, 1, MaxPoolInput}, {"kernel", p.Kernel, 1, MaxPoolKernel}, {"stride", p.Stride, 0, MaxPoolStride},
		{"padding", p.Padding, 0, MaxPoolKernel / 2}, {"dilation", p.Dilation, 0, MaxPoolDil}} {
		if f.v[0] < f.lo || f.v[1] < f.lo || f.v[0] > f.hi || f.v[1] > f.hi {
			return nil, errf(f.name, "range", arg("field", f.name), arg("min", max(f.lo, 1)), arg("max", f.hi), arg("got", pair(f.v)))
		}
	}
	s := conv.PoolSpec{Kernel: p.Kernel, Stride: p.Stride, Padding: p.Padding, Dilation: p.Dilation,
		CeilMode: p.CeilMode, ExcludePad: p.ExcludePad}
	var pl *conv.Pool
	var err error
	if p.Op == "avg" {
		pl, err = s.ResolveAvg(1, p.Input[0], p.Input[1])
	} else {
		pl, err = s.Resolve(1, p.Input[0], p.Input[1])
	}
	if err != nil {
		var ce *conv.Error
		if errors.As(err, &ce) {
			return nil, &Error{Param: poolParamName(ce.Param), Err: apperr.FromConv(ce)}
		}
		return nil, err
	}
	return pl, nil
}

func poolParamName(p string) string {
	if p == "kernel_size" {
		return "kernel"
	}
	return p
}

// Query is p as the query of /animations/pool.gif (defaults left out).
func (p PoolParams) Query() string {
	v := url.Values{}
	v.Set("op", p.Op)
	v.Set("input", pair(p.Input))
	v.Set("kernel", pair(p.Kernel))
	if p.Stride != [2]int{} {
		v.Set("stride", pair(p.Stride))
	}
	if p.Padding != [2]int{} {
		v.Set("padding", pair(p.Padding))
	}
	if p.Dilation != [2]int{} && p.Dilation != [2]int{1, 1} {
		v.Set("dilation", pair(p.Dilation))
	}
	if p.CeilMode {
		v.Set("ceil_mode", "1")
	}
	if p.ExcludePad {
		v.Set("count_include_pad", "0")
	}
	return v.Encode()
}

// ParsePoolQuery reads PoolParams: op (max/avg), input, kernel, stride,
// padding, dilation ("N" or "HxW"), ceil_mode and count_include_pad (1/0).
// Missing: op max, input 5, kernel 3, stride = kernel, padding 0,
// dilation 1, ceil_mode 0, count_include_pad 1. Resolve checks the values.
func ParsePoolQuery(q url.Values) (PoolParams, error) {
	p := PoolParams{Op: "max", Input: sq(5), Kernel: sq(3)}
	for k, vs := range q {
		if len(vs) != 1 {
			return PoolParams{}, errf(k, "repeated", arg("field", clip(k)), arg("n", len(vs)))
		}
	}
	if v, ok := q["op"]; ok {
		p.Op = strings.TrimSpace(v[0])
	}
	for _, f := range []struct {
		name string
		dst  *[2]int
	}{{"input", &p.Input}, {"kernel", &p.Kernel}, {"stride", &p.Stride}, {"padding", &p.Padding}, {"dilation", &p.Dilation}} {
		if v, ok := q[f.name]; ok {
			n, err := ParsePair(f.name, v[0])
			if err != nil {
				return PoolParams{}, err
			}
			if (f.name == "stride" || f.name == "dilation") && (n[0] < 1 || n[1] < 1) {
				return PoolParams{}, errf(f.name, "range", arg("field", f.name), arg("min", 1), arg("max", MaxPoolStride), arg("got", pair(n)))
			}
			*f.dst = n
		}
	}
	for _, f := range []struct {
		name string
		dst  *bool
		inv  bool
	}{{"ceil_mode", &p.CeilMode, false}, {"count_include_pad", &p.ExcludePad, true}} {
		v, ok := q[f.name]
		if !ok {
			continue
		}
		var b bool
		switch strings.ToLower(strings.TrimSpace(v[0])) {
		case "1", "true", "on", "yes":
			b = true
		case "0", "false", "off", "no":
		default:
			return PoolParams{}, errf(f.name, "bool", arg("field", f.name), apperr.Q("got", clip(v[0])))
		}
		*f.dst = b != f.inv
	}
	if p.Op == "max" && p.ExcludePad {
		return PoolParams{}, errf("count_include_pad", "pool_count_include_pad")
	}
	return p, nil
}

// poolPainter draws a pooling: the grid spans every cell a window reaches
// (the input, its padding and, with ceil_mode, cells past the padding).
type poolPainter struct {
	pt        painter
	p         *conv.Pool
	op        string
	x         []float32
	steps     []conv.PoolStep
	y0, x0    int // input coordinates of grid cell (0, 0)
	gh, gw    int
	tapped    [][]bool
	winner    [2]int // grid cell of the current max, or −1
	outputsOK []bool
}

func (pp *poolPainter) grid(y, x int) (iy, ix int) { return y + pp.y0, x + pp.x0 }

// preparePool resolves p, traces every output cell and draws the first frame.
func preparePool(p PoolParams) (*poolPainter, error) {
	pl, err := p.Resolve()
	if err != nil {
		return nil, err
	}
	x := PoolInput(p.Input[0], p.Input[1])
	pp := &poolPainter{p: pl, op: p.Op, x: x, winner: [2]int{-1, -1}}
	y0, x0 := -pl.Padding[0], -pl.Padding[1]
	y1, x1 := pl.InH+pl.Padding[0], pl.InW+pl.Padding[1]
	for oy := range pl.OutH {
		for ox := range pl.OutW {
			var st conv.PoolStep
			if p.Op == "max" {
				st = pl.TraceMax(x, 0, oy, ox)
			} else {
				st = pl.TraceAvg(x, 0, oy, ox)
			}
			for _, t := range st.Taps {
				y1, x1 = max(y1, t.Y+1), max(x1, t.X+1)
			}
			pp.steps = append(pp.steps, st)
		}
	}
	pp.y0, pp.x0, pp.gh, pp.gw = y0, x0, y1-y0, x1-x0
	l, err := gridLayout(pp.gh, pp.gw, pl.OutH, pl.OutW)
	if err != nil {
		return nil, err
	}
	if l.Cell < MinNumbersCell {
		return nil, errf("input", "pool_cells_small", arg("min", MinNumbersCell), arg("cell", l.Cell))
	}
	pp.pt = painter{l: l, img: image.NewPaletted(image.Rect(0, 0, l.Width, l.Height), palette)}
	pp.tapped = make([][]bool, pp.gh)
	for i := range pp.tapped {
		pp.tapped[i] = make([]bool, pp.gw)
	}
	pp.outputsOK = make([]bool, len(pp.steps))
	pp.drawFirst()
	return pp, nil
}

// cell draws grid cell (y, x).
func (pp *poolPainter) cell(y, x int) {
	iy, ix := pp.grid(y, x)
	inside := iy >= 0 && iy < pp.p.InH && ix >= 0 && ix < pp.p.InW
	padded := iy >= -pp.p.Padding[0] && iy < pp.p.InH+pp.p.Padding[0] && ix >= -pp.p.Padding[1] && ix < pp.p.InW+pp.p.Padding[1]
	tap := pp.tapped[y][x]
	var fill, edge uint8 = cReal, cBorder
	dashed := false
	switch {
	case inside && tap:
		fill = cRealTap
	case inside:
	case padded:
		fill, edge, dashed = cPad, cDash, true
		if tap {
			fill = cPadTap
		}
	default: // past the padded input (ceil_mode)
		fill, edge, dashed = cInserted, cDash, true
		if tap {
			fill = cInsertedTap
		}
	}
	r := pp.pt.gridRect(y, x, y+1, x+1)
	pp.pt.box(r.Min.X, r.Min.Y, fill, edge, dashed)
	if inside {
		pp.pt.centredText(numText(pp.x[iy*pp.p.InW+ix]), r.Min.X, r.Min.Y)
	}
	if pp.winner == [2]int{y, x} {
		pp.pt.outline(r.Inset(3), cOutline)
	}
}

// outText formats an output: max values are whole numbers here, averages
// get one decimal, as in conv_arithmetic's figure.
func (pp *poolPainter) outText(v float32) string {
	if pp.op == "max" {
		return numText(v)
	}
	return strconv.FormatFloat(math.Round(float64(v)*10)/10, 'f', 1, 64)
}

func (pp *poolPainter) out(i, state int) image.Rectangle {
	st := &pp.steps[i]
	r := pp.pt.outRect(st.OutY, st.OutX)
	fill := [...]uint8{cOutEmpty, cOutDone, cOutCurrent}[state]
	pp.pt.box(r.Min.X, r.Min.Y, fill, cBorder, false)
	if state == 2 {
		pp.pt.outline(r, cOutline)
	}
	if state > 0 {
		pp.pt.centredText(pp.outText(st.Value), r.Min.X, r.Min.Y)
	}
	return r
}

// windowBox is the grid cells window st spans (dilated windows span more than they read).
func (pp *poolPainter) windowBox(st *conv.PoolStep) (y0, x0, y1, x1 int) {
	y0, x0 = st.WindowY-pp.y0, st.WindowX-pp.x0
	y1, x1 = y0+1, x0+1
	for _, t := range st.Taps {
		y1, x1 = max(y1, t.Y-pp.y0+1), max(x1, t.X-pp.x0+1)
	}
	return y0, x0, min(y1, pp.gh), min(x1, pp.gw)
}

// set marks (on) or unmarks step i's window and winner, redraws its
// cells and returns their rectangle.
func (pp *poolPainter) set(i int, on bool) image.Rectangle {
	st := &pp.steps[i]
	for _, t := range st.Taps {
		pp.tapped[t.Y-pp.y0][t.X-pp.x0] = on
	}
	pp.winner = [2]int{-1, -1}
	if on && pp.op == "max" && st.Arg >= 0 {
		t := st.Taps[st.Arg]
		pp.winner = [2]int{t.Y - pp.y0, t.X - pp.x0}
	}
	y0, x0, y1, x1 := pp.windowBox(st)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			pp.cell(y, x)
		}
	}
	r := pp.pt.gridRect(y0, x0, y1, x1)
	if on {
		pp.pt.outline(r, cOutline)
	}
	return r
}

func (pp *poolPainter) drawFirst() {
	pp.pt.fill(pp.pt.img.Rect, cBackground)
	for y := range pp.gh {
		for x := range pp.gw {
			pp.cell(y, x)
		}
	}
	for i := range pp.steps {
		pp.out(i, 0)
	}
	pp.set(0, true)
	pp.out(0, 2)
	pp.pt.arrow()
}

// PoolInfo is the size and frame count of a pooling animation.
func MeasurePool(p PoolParams) (Info, error) {
	pp, err := preparePool(p)
	if err != nil {
		return Info{}, err
	}
	return pp.pt.l.Info, nil
}

// RenderPool draws p as an animated GIF: one frame per output cell (the
// window over the input, its max outlined for max pooling, the output
// filled in with the engine's value), then the finished output for longer.
// Errors about p are *Error.
func RenderPool(p PoolParams) ([]byte, error) {
	pp, err := preparePool(p)
	if err != nil {
		return nil, err
	}
	l := pp.pt.l
	a := &gif.GIF{Config: image.Config{ColorModel: palette, Width: l.Width, Height: l.Height}, BackgroundIndex: cBackground}
	d := stepDelay(len(pp.steps))
	first := image.NewPaletted(pp.pt.img.Rect, palette)
	copy(first.Pix, pp.pt.img.Pix)
	prev := append([]uint8(nil), pp.pt.img.Pix...)
	add := func(f *image.Paletted, delay int) {
		a.Image = append(a.Image, f)
		a.Delay = append(a.Delay, delay)
		a.Disposal = append(a.Disposal, gif.DisposalNone)
	}
	add(first, max(d, 40))
	for i := 1; i <= len(pp.steps); i++ {
		dirty := []image.Rectangle{pp.set(i-1, false), pp.out(i-1, 1)}
		delay := max(d, 40)
		if i < len(pp.steps) {
			dirty = append(dirty, pp.set(i, true), pp.out(i, 2))
		} else {
			delay = finalDelay
		}
		add(delta(pp.pt.img, prev, dirty), delay)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, a); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// StillPool is the first frame of p's animation as a PNG (reduced motion).
func StillPool(p PoolParams) ([]byte, error) {
	pp, err := preparePool(p)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, pp.pt.img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
