package animations

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"io"

	"github.com/convlab/convlab/conv"
)

// Version names the drawing. Bump it whenever a change alters the pixels,
// so cached copies (ETags, browser caches) are not reused.
const Version = "2"

// Drawing limits: cells are between MinCell and MaxCell pixels, shrunk
// from MaxCell until the image fits MaxWidth × MaxHeight (slides).
const (
	MaxCell   = 32
	MinCell   = 8
	MaxWidth  = 1200
	MaxHeight = 720
)

// Frame delays in hundredths of a second.
const (
	minStepDelay = 15
	maxStepDelay = 60
	finalDelay   = 200 // the last frame, the finished output, stays longer
)

// Palette indices. The colours are the Okabe–Ito colour-blind-safe set
// (sky blue, orange, bluish green) with light tints and greys.
const (
	cBackground  uint8 = iota
	cBorder            // cell edges
	cDash              // dashed edges of padding and inserted zeros, the arrow
	cReal              // an input cell
	cRealTap           // an input cell under the kernel
	cPad               // a zero-padding cell
	cPadTap            // a zero-padding cell under the kernel
	cInserted          // a zero inserted between input cells (transposed)
	cInsertedTap       // an inserted zero under the kernel
	cCopy              // a padding cell copying the input (reflect/replicate/circular)
	cCopyTap           // a copying padding cell under the kernel
	cOutEmpty          // an output cell not computed yet
	cOutDone           // a computed output cell
	cOutCurrent        // the output cell being computed
	cOutline           // outline of the kernel window and the current output cell
	cTransparent       // "unchanged since the previous frame"
)

var palette = color.Palette{
	cBackground:  color.RGBA{0xff, 0xff, 0xff, 0xff},
	cBorder:      color.RGBA{0x3c, 0x3c, 0x3c, 0xff},
	cDash:        color.RGBA{0x8c, 0x8c, 0x8c, 0xff},
	cReal:        color.RGBA{0x56, 0xb4, 0xe9, 0xff}, // Okabe–Ito sky blue
	cRealTap:     color.RGBA{0xe6, 0x9f, 0x00, 0xff}, // Okabe–Ito orange
	cPad:         color.RGBA{0xff, 0xff, 0xff, 0xff},
	cPadTap:      color.RGBA{0xf2, 0xcf, 0x7f, 0xff}, // orange on white
	cInserted:    color.RGBA{0xdc, 0xdc, 0xdc, 0xff},
	cInsertedTap: color.RGBA{0xc9, 0xa5, 0x5a, 0xff}, // orange on grey
	cCopy:        color.RGBA{0xb5, 0xdc, 0xf4, 0xff},
	cCopyTap:     color.RGBA{0xee, 0xbb, 0x4d, 0xff},
	cOutEmpty:    color.RGBA{0xf4, 0xf4, 0xf4, 0xff},
	cOutDone:     color.RGBA{0x7f, 0xce, 0xb9, 0xff}, // Okabe–Ito bluish green, tinted
	cOutCurrent:  color.RGBA{0xe6, 0x9f, 0x00, 0xff}, // the window's orange
	cOutline:     color.RGBA{0x00, 0x00, 0x00, 0xff},
	cTransparent: color.RGBA{0x00, 0x00, 0x00, 0x00},
}

// Info describes the GIF Render makes for some Params.
type Info struct {
	Width, Height int // pixels
	Cell          int // pixels per cell
	Frames        int // one per output cell, plus the finished output
	OutH, OutW    int // output size
	GridH, GridW  int // the grid the kernel slides over (padded / zero-inserted input)
}

// layout places the two grids: the grid the kernel slides over on the
// left, an arrow, the output on the right, both centred vertically.
type layout struct {
	Info
	margin       int
	gx, gy       int // top-left pixel of the input grid
	ox, oy       int // top-left pixel of the output grid
	gapX0, gapX1 int // the arrow spans these columns
	midY         int
}

func newLayout(g *conv.Geometry) (layout, error) {
	return gridLayout(g.PaddedH(), g.PaddedW(), g.OutH, g.OutW)
}

// gridLayout places a gh×gw grid and an outH×outW output (see layout).
func gridLayout(gh, gw, outH, outW int) (layout, error) {
	l := layout{Info: Info{OutH: outH, OutW: outW, GridH: gh, GridW: gw, Frames: outH*outW + 1}}
	for cs := MaxCell; cs >= MinCell; cs-- {
		m := max(8, cs/2)
		gap := 2 * cs
		w := m + gw*cs + gap + outW*cs + m
		h := m + max(gh, outH)*cs + m
		if w > MaxWidth || h > MaxHeight {
			continue
		}
		l.Cell, l.Width, l.Height, l.margin = cs, w, h, m
		inner := max(gh, outH) * cs
		l.gx, l.gy = m, m+(inner-gh*cs)/2
		l.gapX0 = m + gw*cs
		l.gapX1 = l.gapX0 + gap
		l.ox, l.oy = l.gapX1, m+(inner-outH*cs)/2
		l.midY = m + inner/2
		return l, nil
	}
	return l, errf("input", "image_big", arg("grid_h", gh), arg("grid_w", gw), arg("out_h", outH), arg("out_w", outW), arg("max_w", MaxWidth), arg("max_h", MaxHeight))
}

// Measure checks everything about p that Render will (the bounds, the
// engine's rules, the image size, numbers) and reports the size and frame
// count of its GIF. Errors are *Error.
func Measure(p Params) (Info, error) {
	g, err := p.Resolve()
	if err != nil {
		return Info{}, err
	}
	l, err := newLayout(g)
	if err != nil {
		return Info{}, err
	}
	return l.Info, checkNumbers(p, l)
}

func checkNumbers(p Params, l layout) error {
	if p.Numbers && l.Cell < MinNumbersCell {
		return errf("numbers", "numbers_small", arg("min", MinNumbersCell), arg("cell", l.Cell))
	}
	return nil
}

// painter draws cells onto a full-size paletted canvas.
type painter struct {
	l      layout
	g      *conv.Geometry
	img    *image.Paletted
	grid   [][]conv.Cell
	tapped [][]bool

	// Numbers mode (nil otherwise): the input values, the weight read at
	// each tapped cell, the outputs in step order.
	x       []float32
	weights [][]float32
	outputs []float32
}

func (pt *painter) fill(r image.Rectangle, c uint8) {
	r = r.Intersect(pt.img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := pt.img.Pix[pt.img.PixOffset(r.Min.X, y):pt.img.PixOffset(r.Max.X, y)]
		for i := range row {
			row[i] = c
		}
	}
}

// box draws a square cell at pixel (x, y): a 1-pixel edge (dashed if asked)
// around a filled interior.
func (pt *painter) box(x, y int, fill, edge uint8, dashed bool) {
	cs := pt.l.Cell
	pt.fill(image.Rect(x, y, x+cs, y+cs), fill)
	on := func(i int) bool { return !dashed || i%5 < 3 }
	for i := range cs {
		if on(i) {
			pt.img.Pix[pt.img.PixOffset(x+i, y)] = edge
			pt.img.Pix[pt.img.PixOffset(x+i, y+cs-1)] = edge
			pt.img.Pix[pt.img.PixOffset(x, y+i)] = edge
			pt.img.Pix[pt.img.PixOffset(x+cs-1, y+i)] = edge
		}
	}
}

// outline draws a 2-pixel frame just inside r.
func (pt *painter) outline(r image.Rectangle, c uint8) {
	const t = 2
	pt.fill(image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+t), c)
	pt.fill(image.Rect(r.Min.X, r.Max.Y-t, r.Max.X, r.Max.Y), c)
	pt.fill(image.Rect(r.Min.X, r.Min.Y, r.Min.X+t, r.Max.Y), c)
	pt.fill(image.Rect(r.Max.X-t, r.Min.Y, r.Max.X, r.Max.Y), c)
}

// gridRect is the pixel rectangle of grid cells [y0, y1) × [x0, x1).
func (pt *painter) gridRect(y0, x0, y1, x1 int) image.Rectangle {
	cs := pt.l.Cell
	return image.Rect(pt.l.gx+x0*cs, pt.l.gy+y0*cs, pt.l.gx+x1*cs, pt.l.gy+y1*cs)
}

func (pt *painter) outRect(y, x int) image.Rectangle {
	cs := pt.l.Cell
	return image.Rect(pt.l.ox+x*cs, pt.l.oy+y*cs, pt.l.ox+(x+1)*cs, pt.l.oy+(y+1)*cs)
}

// gridCell draws cell (y, x) of the grid the kernel slides over in its
// current state.
func (pt *painter) gridCell(y, x int) {
	cell, tap := pt.grid[y][x], pt.tapped[y][x]
	var fill, edge uint8 = cReal, cBorder
	dashed := false
	switch cell.Kind {
	case conv.Real:
		if tap {
			fill = cRealTap
		}
	case conv.ZeroPad:
		fill, edge, dashed = cPad, cDash, true
		if tap {
			fill = cPadTap
		}
	case conv.Inserted:
		fill, edge, dashed = cInserted, cDash, true
		if tap {
			fill = cInsertedTap
		}
	case conv.CopyPad:
		fill, edge, dashed = cCopy, cDash, true
		if tap {
			fill = cCopyTap
		}
	}
	r := pt.gridRect(y, x, y+1, x+1)
	pt.box(r.Min.X, r.Min.Y, fill, edge, dashed)
	if pt.x != nil {
		if cell.Kind == conv.Real || cell.Kind == conv.CopyPad {
			pt.centredText(numText(pt.x[cell.SrcY*pt.g.InW+cell.SrcX]), r.Min.X, r.Min.Y)
		}
		if tap {
			pt.cornerText(numText(pt.weights[y][x]), r.Min.X, r.Min.Y)
		}
	}
}

// outCell draws output cell (y, x): 0 not computed, 1 computed, 2 current.
func (pt *painter) outCell(y, x, state int) {
	r := pt.outRect(y, x)
	fill := [...]uint8{cOutEmpty, cOutDone, cOutCurrent}[state]
	pt.box(r.Min.X, r.Min.Y, fill, cBorder, false)
	if state == 2 {
		pt.outline(r, cOutline)
	}
	if pt.outputs != nil && state > 0 {
		pt.centredText(numText(pt.outputs[y*pt.l.OutW+x]), r.Min.X, r.Min.Y)
	}
}

// window is the grid cells a step's kernel window spans: from its top-left
// corner to its last tap (dilated kernels span more cells than they read).
func window(st *conv.Step) (y0, x0, y1, x1 int) {
	y0, x0, y1, x1 = st.WindowY, st.WindowX, st.WindowY+1, st.WindowX+1
	for _, t := range st.Taps {
		y1, x1 = max(y1, t.Y+1), max(x1, t.X+1)
	}
	return
}

// setTaps marks (on) or unmarks the cells a step reads.
func (pt *painter) setTaps(st *conv.Step, on bool) {
	for _, t := range st.Taps {
		if t.Y >= 0 && t.Y < len(pt.tapped) && t.X >= 0 && t.X < len(pt.tapped[t.Y]) {
			pt.tapped[t.Y][t.X] = on
			if pt.weights != nil {
				pt.weights[t.Y][t.X] = t.Weight
			}
		}
	}
}

// redrawWindow redraws the cells a step's window spans and returns their
// pixel rectangle.
func (pt *painter) redrawWindow(st *conv.Step) image.Rectangle {
	y0, x0, y1, x1 := window(st)
	y1, x1 = min(y1, len(pt.grid)), min(x1, len(pt.grid[0]))
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			pt.gridCell(y, x)
		}
	}
	return pt.gridRect(y0, x0, y1, x1)
}

func (pt *painter) arrow() {
	l := pt.l
	cs := l.Cell
	th := max(2, cs/12)
	x0, x1 := l.gapX0+cs/2, l.gapX1-cs/2
	head := max(4, cs/3)
	pt.fill(image.Rect(x0, l.midY-th/2, x1-head, l.midY-th/2+th), cDash)
	for i := range head {
		// a triangle pointing right: column x1-head+i is (head-i)*2 tall
		h := head - i
		pt.fill(image.Rect(x1-head+i, l.midY-h, x1-head+i+1, l.midY+h), cDash)
	}
}

// trace runs the engine's step trace: one step per output cell, in
// output order. Without numbers the values are zero (only the geometry is
// drawn); with numbers they are NumbersInput and NumbersWeights.
func trace(g *conv.Geometry, numbers bool) []conv.Step {
	x := make([]float32, g.XLen(1))
	w := make([]float32, g.WeightLen())
	if numbers {
		x, w = NumbersInput(g), NumbersWeights(g)
	}
	return conv.Trace(g, x, w, nil)
}

// prepare resolves p and sets up the painter with the first step drawn.
func prepare(p Params) (*painter, []conv.Step, error) {
	g, err := p.Resolve()
	if err != nil {
		return nil, nil, err
	}
	l, err := newLayout(g)
	if err != nil {
		return nil, nil, err
	}
	if err := checkNumbers(p, l); err != nil {
		return nil, nil, err
	}
	steps := trace(g, p.Numbers)
	pt := &painter{l: l, g: g, img: image.NewPaletted(image.Rect(0, 0, l.Width, l.Height), palette), grid: g.Grid()}
	pt.tapped = make([][]bool, len(pt.grid))
	for y := range pt.tapped {
		pt.tapped[y] = make([]bool, len(pt.grid[y]))
	}
	if p.Numbers {
		pt.x = NumbersInput(g)
		pt.weights = make([][]float32, len(pt.grid))
		for y := range pt.weights {
			pt.weights[y] = make([]float32, len(pt.grid[y]))
		}
		pt.outputs = make([]float32, len(steps))
		for i, st := range steps {
			pt.outputs[i] = st.Sum
		}
	}
	pt.drawFirst(&steps[0])
	return pt, steps, nil
}

// drawFirst paints the whole first frame: step 0 under way.
func (pt *painter) drawFirst(st *conv.Step) {
	pt.fill(pt.img.Rect, cBackground)
	pt.setTaps(st, true)
	for y := range pt.grid {
		for x := range pt.grid[y] {
			pt.gridCell(y, x)
		}
	}
	pt.outline(pt.windowRect(st), cOutline)
	for y := range pt.l.OutH {
		for x := range pt.l.OutW {
			pt.outCell(y, x, 0)
		}
	}
	pt.outCell(st.OutY, st.OutX, 2)
	pt.arrow()
}

func (pt *painter) windowRect(st *conv.Step) image.Rectangle {
	y0, x0, y1, x1 := window(st)
	return pt.gridRect(y0, x0, min(y1, len(pt.grid)), min(x1, len(pt.grid[0])))
}

// advance moves from step prev to step cur (nil: the finished output) and
// returns the pixel rectangles that may have changed.
func (pt *painter) advance(prev, cur *conv.Step) []image.Rectangle {
	pt.setTaps(prev, false)
	dirty := []image.Rectangle{pt.redrawWindow(prev)}
	pt.outCell(prev.OutY, prev.OutX, 1)
	dirty = append(dirty, pt.outRect(prev.OutY, prev.OutX))
	if cur != nil {
		pt.setTaps(cur, true)
		dirty = append(dirty, pt.redrawWindow(cur))
		pt.outline(pt.windowRect(cur), cOutline)
		pt.outCell(cur.OutY, cur.OutX, 2)
		dirty = append(dirty, pt.outRect(cur.OutY, cur.OutX))
	}
	return dirty
}

// delta returns a frame holding the pixels of the canvas that differ from
// prev inside the dirty rectangles (everything else transparent), cropped
// to the changed pixels, and brings prev up to date.
func delta(canvas *image.Paletted, prev []uint8, dirty []image.Rectangle) *image.Paletted {
	minX, minY, maxX, maxY := canvas.Rect.Max.X, canvas.Rect.Max.Y, canvas.Rect.Min.X, canvas.Rect.Min.Y
	for i, r := range dirty {
		r = r.Intersect(canvas.Rect)
		dirty[i] = r
		for y := r.Min.Y; y < r.Max.Y; y++ {
			o := canvas.PixOffset(0, y)
			for x := r.Min.X; x < r.Max.X; x++ {
				if canvas.Pix[o+x] != prev[o+x] {
					minX, maxX = min(minX, x), max(maxX, x+1)
					minY, maxY = min(minY, y), max(maxY, y+1)
				}
			}
		}
	}
	if minX >= maxX {
		// Nothing changed: a single transparent pixel keeps the timing.
		f := image.NewPaletted(image.Rect(0, 0, 1, 1), palette)
		f.Pix[0] = cTransparent
		return f
	}
	b := image.Rect(minX, minY, maxX, maxY)
	f := image.NewPaletted(b, palette)
	for i := range f.Pix {
		f.Pix[i] = cTransparent
	}
	for _, r := range dirty {
		r = r.Intersect(b)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			o := canvas.PixOffset(0, y)
			fo := f.PixOffset(r.Min.X, y)
			for x := r.Min.X; x < r.Max.X; x++ {
				if c := canvas.Pix[o+x]; c != prev[o+x] {
					f.Pix[fo] = c
				}
				fo++
			}
		}
	}
	for _, r := range dirty {
		r = r.Intersect(b)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			o := canvas.PixOffset(r.Min.X, y)
			copy(prev[o:o+r.Dx()], canvas.Pix[o:o+r.Dx()])
		}
	}
	return f
}

func stepDelay(steps int) int {
	return min(maxStepDelay, max(minStepDelay, 1200/max(1, steps)))
}

// Render draws p as an animated GIF: the grid the kernel slides over (the
// padded input; for a transposed convolution the zero-inserted, bordered
// input the flipped kernel slides over with stride 1), the kernel window
// moving one output cell per frame, and the output filling in; a last
// frame shows the finished output for longer. Everything drawn comes from
// the conv engine's geometry and step trace. Errors are *Error.
//
// Frames are encoded as they are drawn (WriteGIF), so a render holds the
// canvas, a copy of the previous frame, one delta frame and the encoded
// bytes: about 3 × Width × Height bytes (2.6 MB at the 1200×720 maximum)
// plus the GIF itself, whatever the number of frames.
func Render(p Params) ([]byte, error) {
	return RenderContext(context.Background(), p)
}

// RenderContext is Render that gives up between frames once ctx ends.
func RenderContext(ctx context.Context, p Params) ([]byte, error) {
	var buf bytes.Buffer
	if err := WriteGIFContext(ctx, &buf, p); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteGIF writes p's animated GIF (see Render) to w, one frame at a time.
// The bytes are exactly those of gif.EncodeAll on all the frames at once.
func WriteGIF(w io.Writer, p Params) error {
	return WriteGIFContext(context.Background(), w, p)
}

// WriteGIFContext is WriteGIF that stops between frames once ctx ends
// (the server is shutting down), returning ctx.Err().
func WriteGIFContext(ctx context.Context, w io.Writer, p Params) error {
	pt, steps, err := prepare(p)
	if err != nil {
		return err
	}
	gs, err := newGIFStream(w, pt.l.Width, pt.l.Height, len(steps)+1)
	if err != nil {
		return err
	}
	frame := func(f *image.Paletted, delay int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return gs.frame(f, delay)
	}
	if err := eachFrame(pt, steps, frame); err != nil {
		return err
	}
	return gs.close()
}

// eachFrame hands the frames of an animation to emit, in order, with
// their delays: the whole first frame, then what changed at each step.
// A frame is valid only during the call.
func eachFrame(pt *painter, steps []conv.Step, emit func(f *image.Paletted, delay int) error) error {
	d := stepDelay(len(steps))
	prev := make([]uint8, len(pt.img.Pix))
	copy(prev, pt.img.Pix)
	if err := emit(pt.img, d); err != nil {
		return err
	}
	for i := 1; i <= len(steps); i++ {
		var cur *conv.Step
		delay := d
		if i < len(steps) {
			cur = &steps[i]
		} else {
			delay = finalDelay
		}
		r := pt.advance(&steps[i-1], cur)
		if err := emit(delta(pt.img, prev, r), delay); err != nil {
			return err
		}
	}
	return nil
}

// gifStream writes an animated GIF frame by frame. image/gif encodes only
// whole animations, so each frame is encoded by gif.EncodeAll as a
// one-frame GIF with the same screen and palette, and its image block (the
// bytes after the header, before the trailer) is copied out: the encoder's
// image block depends only on the frame, its delay and disposal, and the
// global palette, so the result is byte for byte what EncodeAll makes of
// the whole animation (TestWriteGIFMatchesEncodeAll).
type gifStream struct {
	w      io.Writer
	cfg    image.Config
	header []byte // a one-frame GIF's header: signature, screen, palette
	buf    bytes.Buffer
	err    error
}

func newGIFStream(w io.Writer, width, height, frames int) (*gifStream, error) {
	gs := &gifStream{w: w, cfg: image.Config{ColorModel: palette, Width: width, Height: height}}
	// The header is what a one-frame GIF starts with: 6 + 7 bytes, then
	// the global colour table (rounded up to a power of two entries).
	n := 2
	for n < len(palette) {
		n *= 2
	}
	dot := image.NewPaletted(image.Rect(0, 0, 1, 1), palette)
	if err := gs.encodeOne(dot, 0, gif.DisposalNone); err != nil {
		return nil, err
	}
	gs.header = append([]byte(nil), gs.buf.Bytes()[:13+3*n]...)
	gs.write(gs.header)
	if frames > 1 {
		// Loop forever: the NETSCAPE2.0 application extension, loop count 0.
		gs.write([]byte("\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"))
	}
	return gs, gs.err
}

func (gs *gifStream) encodeOne(f *image.Paletted, delay int, disposal byte) error {
	gs.buf.Reset()
	return gif.EncodeAll(&gs.buf, &gif.GIF{
		Image: []*image.Paletted{f}, Delay: []int{delay}, Disposal: []byte{disposal},
		Config: gs.cfg, BackgroundIndex: cBackground, LoopCount: 0,
	})
}

func (gs *gifStream) write(b []byte) {
	if gs.err == nil {
		_, gs.err = gs.w.Write(b)
	}
}

// frame writes one frame (its graphic control extension and image block).
func (gs *gifStream) frame(f *image.Paletted, delay int) error {
	if gs.err != nil {
		return gs.err
	}
	if err := gs.encodeOne(f, delay, gif.DisposalNone); err != nil {
		return err
	}
	b := gs.buf.Bytes()
	if !bytes.HasPrefix(b, gs.header) || b[len(b)-1] != 0x3b {
		return errors.New("animations: unexpected GIF encoder output")
	}
	gs.write(b[len(gs.header) : len(b)-1])
	return gs.err
}

// close writes the trailer.
func (gs *gifStream) close() error {
	gs.write([]byte{0x3b})
	return gs.err
}

// Still draws the first frame of p's animation (step one under way, with
// the whole grid and output visible) as a PNG, for readers who prefer
// reduced motion.
func Still(p Params) ([]byte, error) {
	pt, _, err := prepare(p)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, pt.img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
