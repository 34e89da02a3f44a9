package server

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/convlab/convlab/animations"
	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/internal/backward"
	"github.com/convlab/convlab/internal/convstate"
	"github.com/convlab/convlab/mnist"
	"github.com/convlab/convlab/views"
	"github.com/labstack/echo/v4"
)

// /conv/backward: the backward pass of the visualizer's layer, step by
// step (issue 14). The URL holds the /conv state (its parameters, read by
// the visualizer's own parser and bounds) plus this page's own:
//
//	grad=ones|random  the upstream gradient dY (random: integers in [-2, 2])
//	grad=loss         dY from a real loss: the shipped network on the
//	                  lesson's MNIST digit (test image 0) with label=L; the
//	                  layer is one filter of layer=1|2 (conv1, conv2) on one
//	                  input channel: filter=F, channel=C (from 1)
//	seed=N            random's seed (0..999999)
//	lr=0.1            the learning rate of the update
//	phase=dw|dx|db    which gradient to step through
//	bstep=K           the step shown (1-based)

// backwardParams are the page's own query parameters.
var backwardParams = []string{"grad", "seed", "lr", "phase", "bstep", "label", "layer", "filter", "channel"}

// bwMaxTaps bounds the products of one page (all three traces).
const bwMaxTaps = 60_000

// bwMaxTerms is how many products an equation writes out.
const bwMaxTerms = 16

// bwLayer is the visualizer's layer read from the query.
type bwLayer struct {
	g       *conv.Geometry
	x, w, b []float32
	query   url.Values // the visualizer's own parameters (without step)
}

// backwardLayer reads the /conv state from q with the visualizer's parser
// and bounds.
func backwardLayer(q url.Values) (*bwLayer, error) {
	s, err := convstate.Parse(q)
	if err != nil {
		return nil, err
	}
	g, err := s.Resolve()
	if err != nil {
		return nil, err
	}
	l := &bwLayer{g: g, x: s.X, w: s.W, query: s.Query()}
	if s.Bias {
		l.b = s.B
	}
	l.query.Del("step")
	return l, nil
}

// bwError is a refusal of this page's own parameters ("conv.bw.err.<key>").
type bwError struct {
	key  string
	args []any
}

func (e *bwError) Error() string { return e.key }

// bwOptions are the page's own parameters, checked.
type bwOptions struct {
	grad  string
	seed  uint64
	lr    float64
	phase string
	step  int
	// grad=loss: the label of the loss, the conv layer (1, 2), and the
	// filter and input channel of it shown (0-based).
	label, layer, filter, channel int
}

// bwGradLoss is grad=loss: dY from the cross-entropy of a real network.
const bwGradLoss = "loss"

func parseBackwardOptions(q url.Values) (bwOptions, error) {
	o := bwOptions{grad: backward.GradOnes, seed: 1, lr: 0.1, phase: "dw", step: 1, label: 7, layer: 1}
	if v := q.Get("grad"); v != "" {
		if v != backward.GradOnes && v != backward.GradRandom && v != bwGradLoss {
			return o, &bwError{"grad", []any{v}}
		}
		o.grad = v
	}
	for _, f := range []struct {
		name   string
		dst    *int
		lo, hi int
		offset int
	}{{"label", &o.label, 0, 9, 0}, {"layer", &o.layer, 1, 2, 0}, {"filter", &o.filter, 1, 64, 1}, {"channel", &o.channel, 1, 32, 1}} {
		if v := q.Get(f.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < f.lo || n > f.hi {
				return o, &bwError{"range", []any{f.name, v, f.lo, f.hi}}
			}
			*f.dst = n - f.offset
		}
	}
	if v := q.Get("seed"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 999_999 {
			return o, &bwError{"seed", []any{v}}
		}
		o.seed = uint64(n)
	}
	if v := q.Get("lr"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f >= 1e-6 && f <= 1) {
			return o, &bwError{"lr", []any{v}}
		}
		o.lr = f
	}
	if v := q.Get("phase"); v != "" {
		if v != "dw" && v != "dx" && v != "db" {
			return o, &bwError{"phase", []any{v}}
		}
		o.phase = v
	}
	if v := q.Get("bstep"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			return o, &bwError{"step", []any{v}}
		}
		o.step = n
	}
	return o, nil
}

func (a *app) convBackwardPage(c echo.Context) error {
	ctx := c.Request().Context()
	q := c.QueryParams()
	var src *bwSource
	if q.Get("grad") == bwGradLoss {
		var err error
		if src, err = a.backwardSource(q); err != nil {
			return netFail(err)
		}
	}
	vm, status := buildBackwardView(i18n.Lang(ctx), q, src)
	p := a.page(c, i18n.T(ctx, "conv.bw.title"), "conv")
	p.Scripts = []string{"/static/js/backward.js"}
	p.Styles = []string{"/static/css/conv.css", "/static/css/backward.css"}
	return render(c, status, views.ConvBackward(p, vm))
}

// fmtBW writes a number for this page: whole numbers as they are, others
// with 4 significant digits.
func fmtBW(v float32) string {
	f := float64(v)
	if f == math.Trunc(f) && math.Abs(f) < 1e9 {
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	return strconv.FormatFloat(f, 'g', 4, 32)
}

// par writes a factor of a product, in brackets when negative.
func par(v float32) string {
	s := fmtBW(v)
	if v < 0 {
		return "(" + s + ")"
	}
	return s
}

// equation writes "a×b + c×d + … = sum", at most bwMaxTerms products.
func equation(lang string, terms []string, sum float32) string {
	if len(terms) == 0 {
		return "0 = " + fmtBW(sum)
	}
	s := strings.Join(terms[:min(len(terms), bwMaxTerms)], " + ")
	if len(terms) > bwMaxTerms {
		s += " + " + i18n.TL(lang, "conv.bw.more", len(terms)-bwMaxTerms)
	}
	return s + " = " + fmtBW(sum)
}

// buildBackwardView runs the backward pass of the query's layer and fills
// the page. The status is 200, or 400 with the reason on the page.
func buildBackwardView(lang string, q url.Values, src *bwSource) (views.BackwardView, int) {
	t := func(k string, a ...any) string { return i18n.TL(lang, k, a...) }
	vm := views.BackwardView{Grad: backward.GradOnes, Seed: "1", LR: "0.1", Phase: "dw", BackURL: "/conv"}
	fail := func(err error) (views.BackwardView, int) {
		var be *bwError
		if errors.As(err, &be) {
			vm.Error = t("conv.bw.err."+be.key, be.args...)
		} else {
			vm.Error, _ = localizeConvError(lang, err)
		}
		return vm, 400
	}
	o, err := parseBackwardOptions(q)
	if err != nil {
		return fail(err)
	}
	var l *bwLayer
	var given []float32
	if o.grad == bwGradLoss {
		if src == nil {
			src = defaultSource()
		}
		if q.Get("label") == "" {
			o.label = src.label
		}
		var note string
		l, given, note, err = lossLayer(lang, o, src)
		if err != nil {
			return fail(err)
		}
		vm.LossNote = note
		vm.Loss = []views.KeyValue{{Key: "label", Value: strconv.Itoa(o.label)}, {Key: "layer", Value: strconv.Itoa(o.layer)},
			{Key: "filter", Value: strconv.Itoa(o.filter + 1)}, {Key: "channel", Value: strconv.Itoa(o.channel + 1)}}
		vm.Hidden = src.params
	} else {
		if l, err = backwardLayer(q); err != nil {
			return fail(err)
		}
		for _, k := range slices.Sorted(maps.Keys(l.query)) {
			vm.Hidden = append(vm.Hidden, views.KeyValue{Key: k, Value: l.query.Get(k)})
		}
	}
	vm.BackURL = "/conv?" + l.query.Encode()
	vm.Grad, vm.Seed, vm.LR, vm.Phase = o.grad, strconv.FormatUint(o.seed, 10), strconv.FormatFloat(o.lr, 'g', -1, 64), o.phase
	g := l.g
	if n := backward.Taps(g); n > bwMaxTaps {
		return fail(&bwError{"too_much", []any{n, bwMaxTaps}})
	}
	source := o.grad
	if source == bwGradLoss {
		source = backward.GradGiven
	}
	p, err := backward.Run(backward.Request{G: g, X: l.x, W: l.w, B: l.b, GradSource: source, Seed: o.seed, DY: given, LR: o.lr,
		NoInputTrace: o.phase != "dx"})
	if err != nil {
		return fail(err)
	}
	vm.OK = true
	vm.Bias = g.Bias
	pageURL := func(phase string, step int) string {
		v := url.Values{}
		for k, vs := range l.query {
			v[k] = vs
		}
		v.Set("grad", o.grad)
		switch o.grad {
		case backward.GradRandom:
			v.Set("seed", vm.Seed)
		case bwGradLoss: // the layer comes from these, not from the /conv query
			v = url.Values{"grad": {o.grad}}
			for _, h := range append(vm.Loss, vm.Hidden...) {
				v.Set(h.Key, h.Value)
			}
		}
		v.Set("lr", vm.LR)
		v.Set("phase", phase)
		if step > 1 {
			v.Set("bstep", strconv.Itoa(step))
		}
		return "/conv/backward?" + v.Encode()
	}
	for _, ph := range []string{"dw", "dx", "db"} {
		vm.Phases = append(vm.Phases, views.BackwardTab{Label: t("conv.bw.phase." + ph), URL: pageURL(ph, 1), Active: ph == o.phase, ID: "bw-phase-" + ph})
	}

	// dY, one grid per output channel.
	for oc := range g.OutChannels {
		vm.DY = append(vm.DY, valueGrid(fmt.Sprintf("bw-dy-%d", oc), t("conv.bw.dy_grid", oc+1), g.OutH, g.OutW,
			func(y, x int) (float32, string, templ.Attributes) {
				return p.DY[(oc*g.OutH+y)*g.OutW+x], "cell real", nil
			}))
	}

	var steps []views.BackwardStep
	switch o.phase {
	case "dw":
		vm.Intro = t("conv.bw.intro_dw")
		vm.StageTitle = t("conv.bw.stage_dw")
		vm.ResultName = t("conv.bw.result_dw")
		vm.Grids = inputGrids(t, g, l.x)
		ws := g.WeightShape()
		for a := range ws[0] {
			for b := range ws[1] {
				off := (a*ws[1] + b) * ws[2] * ws[3]
				st := p.WeightGrad[off]
				vm.Result = append(vm.Result, valueGrid(fmt.Sprintf("bw-res-%d-%d", a, b), t("conv.bw.weight_grid", st.OutChannel+1, st.Channel+1),
					ws[2], ws[3], func(y, x int) (float32, string, templ.Attributes) {
						k := off + y*ws[3] + x
						return p.DW[k], "cell out", templ.Attributes{"data-k": strconv.Itoa(k)}
					}))
			}
		}
		for _, st := range p.WeightGrad {
			var terms []string
			var hl [][3]int
			for _, tp := range st.Taps {
				terms = append(terms, par(tp.Input)+"×"+par(tp.Grad))
				hl = append(hl, [3]int{st.Channel, tp.Y, tp.X})
			}
			where := t("conv.bw.where_dw", st.OutChannel+1, st.Channel+1, st.KY+1, st.KX+1)
			steps = append(steps, views.BackwardStep{StepText: views.StepText{Where: where, Eq: equation(lang, terms, st.Sum), Sum: fmtBW(st.Sum)}, HL: hl,
				Narr: t("conv.bw.narr_dw", where, len(st.Taps), fmtBW(st.Sum))})
		}
	case "dx":
		d := p.DXGeometry
		vm.Intro = t("conv.bw.intro_dx")
		if g.Stride != [2]int{1, 1} {
			vm.Intro += " " + t("conv.bw.intro_dx_stride", g.Stride[0], g.Stride[1])
		}
		if o.grad == bwGradLoss {
			vm.Intro += " " + t("conv.bw.loss_dx")
		}
		vm.AnimURL = dualAnimationURL(d)
		if g.Transposed {
			vm.Intro = t("conv.bw.intro_dx_transposed")
		}
		vm.StageTitle = t("conv.bw.stage_dx")
		vm.ResultName = t("conv.bw.result_dx")
		grid := d.Grid()
		for oc := range d.InChannels {
			vm.Grids = append(vm.Grids, cellGrid(t, fmt.Sprintf("bw-g-%d", oc), t("conv.bw.dy_grid", oc+1), oc, grid,
				func(sy, sx int) float32 { return p.DY[(oc*g.OutH+sy)*g.OutW+sx] }))
		}
		for c := range g.InChannels {
			vm.Result = append(vm.Result, valueGrid(fmt.Sprintf("bw-res-%d", c), t("conv.bw.input_grid", c+1), g.InH, g.InW,
				func(y, x int) (float32, string, templ.Attributes) {
					k := (c*g.InH+y)*g.InW + x
					return p.DX[k], "cell out", templ.Attributes{"data-k": strconv.Itoa(k)}
				}))
		}
		for _, st := range p.InputGrad {
			var parts []string
			var hl [][3]int
			n := 0
			for _, part := range st.Parts {
				var terms []string
				for _, tp := range part.Taps {
					terms = append(terms, par(tp.Input)+"×"+par(tp.Weight))
					hl = append(hl, [3]int{tp.C, tp.Y, tp.X})
				}
				n += len(part.Taps)
				parts = append(parts, equation(lang, terms, part.Sum))
			}
			where := t("conv.bw.where_dx", st.Channel+1, st.Y+1, st.X+1)
			eq := strings.Join(parts, "; ")
			switch {
			case len(st.Parts) == 0:
				eq = t("conv.bw.cropped")
			case len(st.Parts) > 1:
				sums := make([]string, len(st.Parts))
				for i, part := range st.Parts {
					sums[i] = par(part.Sum)
				}
				eq += "; " + t("conv.bw.copies", len(st.Parts)-1) + ": " + strings.Join(sums, " + ") + " = " + fmtBW(st.Sum)
			}
			steps = append(steps, views.BackwardStep{StepText: views.StepText{Where: where, Eq: eq, Sum: fmtBW(st.Sum)}, HL: hl,
				Narr: t("conv.bw.narr_dx", where, n, fmtBW(st.Sum))})
		}
	case "db":
		vm.Intro = t("conv.bw.intro_db")
		vm.StageTitle = t("conv.bw.dy")
		vm.ResultName = t("conv.bw.result_db")
		for oc := range g.OutChannels {
			vm.Grids = append(vm.Grids, valueGrid(fmt.Sprintf("bw-g-%d", oc), t("conv.bw.dy_grid", oc+1), g.OutH, g.OutW,
				func(y, x int) (float32, string, templ.Attributes) {
					return p.DY[(oc*g.OutH+y)*g.OutW+x], "cell real", templ.Attributes{"data-g": strconv.Itoa(oc), "data-y": strconv.Itoa(y), "data-x": strconv.Itoa(x)}
				}))
		}
		vm.Result = append(vm.Result, valueGrid("bw-res-b", t("conv.bw.bias_grid"), 1, g.OutChannels,
			func(_, x int) (float32, string, templ.Attributes) {
				return p.BiasGrad[x].Sum, "cell out", templ.Attributes{"data-k": strconv.Itoa(x)}
			}))
		for _, st := range p.BiasGrad {
			var terms []string
			var hl [][3]int
			for i, v := range st.Terms {
				terms = append(terms, par(v))
				hl = append(hl, [3]int{st.OutChannel, i / g.OutW, i % g.OutW})
			}
			where := t("conv.bw.where_db", st.OutChannel+1)
			steps = append(steps, views.BackwardStep{StepText: views.StepText{Where: where, Eq: equation(lang, terms, st.Sum), Sum: fmtBW(st.Sum)}, HL: hl,
				Narr: t("conv.bw.narr_db", where, len(st.Terms), fmtBW(st.Sum))})
		}
	}
	for i := range steps {
		steps[i].Index = fmt.Sprintf("%d / %d", i+1, len(steps))
	}
	vm.StepCount = len(steps)
	vm.Step = min(max(o.step, 1), vm.StepCount)
	cur := steps[vm.Step-1]
	vm.StepIndex, vm.Where, vm.Eq, vm.Sum = cur.Index, cur.Where, cur.Eq, cur.Sum
	vm.PrevURL, vm.NextURL = pageURL(o.phase, max(vm.Step-1, 1)), pageURL(o.phase, min(vm.Step+1, vm.StepCount))
	markStep(&vm, cur)
	vm.Data = views.BackwardScript{Step: vm.Step, Steps: steps, Messages: map[string]string{
		"conv.play": t("conv.play"), "conv.pause": t("conv.pause")}}

	// The update of every weight (then every bias).
	ws := g.WeightShape()
	names := make([]string, 0, len(p.SGD))
	for wi := range p.DW {
		names = append(names, fmt.Sprintf("weight[%d, %d, %d, %d]", wi/(ws[1]*ws[2]*ws[3]), wi/(ws[2]*ws[3])%ws[1], wi/ws[3]%ws[2], wi%ws[3]))
	}
	for oc := range len(p.SGD) - len(p.DW) {
		names = append(names, fmt.Sprintf("bias[%d]", oc))
	}
	for i, s := range p.SGD {
		ad := p.Adam[i]
		vm.Updates = append(vm.Updates, views.BackwardUpdate{Name: names[i], W: fmtBW(s.Before), G: fmtBW(s.Grad),
			SGD:   fmt.Sprintf("%s − %s×%s = %s", fmtBW(s.Before), vm.LR, par(s.Grad), fmtBW(s.After)),
			AdamM: fmtBW(ad.M), AdamV: fmtBW(ad.V), AdamDenom: fmtBW(ad.Denom), AdamUpd: fmtBW(ad.Update),
			AdamNew: fmt.Sprintf("%s − %s = %s", fmtBW(ad.Before), par(ad.Update), fmtBW(ad.After))})
	}
	return vm, 200
}

// markStep marks the first paint: the step's cells on the stage, the
// result cells not computed yet, and the current one.
func markStep(vm *views.BackwardView, st views.BackwardStep) {
	hl := map[[3]int]bool{}
	for _, h := range st.HL {
		hl[h] = true
	}
	for gi := range vm.Grids {
		for _, row := range vm.Grids[gi].Rows {
			for ci := range row {
				c := &row[ci]
				k := [3]int{atoiAttr(c.Attrs, "data-g"), atoiAttr(c.Attrs, "data-y"), atoiAttr(c.Attrs, "data-x")}
				if hl[k] {
					c.Class += " bhl"
				}
			}
		}
	}
	for gi := range vm.Result {
		for _, row := range vm.Result[gi].Rows {
			for ci := range row {
				c := &row[ci]
				switch k := atoiAttr(c.Attrs, "data-k"); {
				case k == vm.Step-1:
					c.Class += " current"
				case k >= vm.Step:
					c.Class += " pending"
				}
			}
		}
	}
}

func atoiAttr(a templ.Attributes, k string) int {
	s, _ := a[k].(string)
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// valueGrid is an h×w grid of numbers.
func valueGrid(id, label string, h, w int, at func(y, x int) (float32, string, templ.Attributes)) views.BackwardGrid {
	g := views.BackwardGrid{ID: id, Label: label}
	for y := range h {
		var row []views.BackwardCell
		for x := range w {
			v, class, attrs := at(y, x)
			row = append(row, views.BackwardCell{Text: fmtBW(v), Class: class, Attrs: attrs})
		}
		g.Rows = append(g.Rows, row)
	}
	return g
}

// cellGrid shows a grid of conv cells (real, padding, copies, inserted
// zeros) of channel ch, values read through val(srcY, srcX).
func cellGrid(t func(string, ...any) string, id, label string, ch int, grid [][]conv.Cell, val func(sy, sx int) float32) views.BackwardGrid {
	g := views.BackwardGrid{ID: id, Label: label}
	for y, row := range grid {
		var cells []views.BackwardCell
		for x, cell := range row {
			var v float32
			if cell.SrcY >= 0 {
				v = val(cell.SrcY, cell.SrcX)
			}
			attrs := templ.Attributes{"data-g": strconv.Itoa(ch), "data-y": strconv.Itoa(y), "data-x": strconv.Itoa(x)}
			if cell.Kind == conv.Inserted {
				attrs["title"] = t("conv.bw.inserted")
			}
			cells = append(cells, views.BackwardCell{Text: fmtBW(v), Class: "cell " + cell.Kind.String(), Attrs: attrs})
		}
		g.Rows = append(g.Rows, cells)
	}
	return g
}

// inputGrids are the input's padded grids (one per channel).
func inputGrids(t func(string, ...any) string, g *conv.Geometry, x []float32) []views.BackwardGrid {
	var out []views.BackwardGrid
	grid := g.Grid()
	for c := range g.InChannels {
		out = append(out, cellGrid(t, fmt.Sprintf("bw-g-%d", c), t("conv.bw.input_grid", c+1), c, grid,
			func(sy, sx int) float32 { return x[(c*g.InH+sy)*g.InW+sx] }))
	}
	return out
}

// bwSource is the network and input of grad=loss.
type bwSource struct {
	net    *mnist.Net
	img    []float32
	label  int              // the default label of the loss: the true one, else the prediction
	what   string           // the input, for the note ("" = the lesson's digit)
	params []views.KeyValue // the explorer's parameters that name them (model, preset, digit, px)
}

// defaultSource is the shipped network on the lesson's MNIST digit.
func defaultSource() *bwSource {
	pix, label, _ := convstate.MNISTDigit()
	set := mnist.Set{N: 1, Pix: pix[:], Labels: []uint8{uint8(label)}}
	return &bwSource{net: mnist.Shipped(), img: set.Image(0), label: label}
}

// backwardSource reads the network explorer's model and input parameters
// (model, preset, digit, px: see network_handlers.go) for grad=loss.
func (a *app) backwardSource(q url.Values) (*bwSource, error) {
	nq := url.Values{}
	var params []views.KeyValue
	for _, k := range []string{"model", "preset", "digit", "px"} {
		if v, ok := q[k]; ok {
			nq[k] = v
			params = append(params, views.KeyValue{Key: k, Value: q.Get(k)})
		}
	}
	s, err := parseNetState(nq)
	if err != nil {
		return nil, err
	}
	m, err := a.netModel(s)
	if err != nil {
		return nil, err
	}
	img, label, err := a.netInput(s)
	if err != nil {
		return nil, err
	}
	if label < 0 {
		label = int(argmax32(m.net.Predict(img)))
	}
	return &bwSource{net: m.net, img: img, label: label, what: "network", params: params}, nil
}

func argmax32(p [mnist.Classes]float32) int {
	k := 0
	for i, v := range p {
		if v > p[k] {
			k = i
		}
	}
	return k
}

// lossLayer is grad=loss: the network of src on its input with the cross-
// entropy of o.label, run forward and backward by mnist.Net.Backprop. The
// layer shown is filter o.filter of conv layer o.layer on input channel
// o.channel, as a one-filter /conv state (its input channel, its kernel
// and bias); dY is the real ∂loss/∂(that filter's output). dW and db of
// this slice are exactly the network's; dX is this filter's share only.
func lossLayer(lang string, o bwOptions, src *bwSource) (*bwLayer, []float32, string, error) {
	if src.net == nil {
		return nil, nil, "", &bwError{"no_model", nil}
	}
	bp := src.net.Backprop(src.img, []uint8{uint8(o.label)})
	var lp *mnist.LayerPass
	k := 0
	for i := range bp.Layers {
		if bp.Layers[i].Kind == "conv" {
			k++
			if k == o.layer {
				lp = &bp.Layers[i]
			}
		}
	}
	if lp == nil {
		return nil, nil, "", &bwError{"range", []any{"layer", strconv.Itoa(o.layer), 1, k}}
	}
	g := lp.Geometry
	if o.filter >= g.OutChannels {
		return nil, nil, "", &bwError{"range", []any{"filter", strconv.Itoa(o.filter + 1), 1, g.OutChannels}}
	}
	if o.channel >= g.InChannels {
		return nil, nil, "", &bwError{"range", []any{"channel", strconv.Itoa(o.channel + 1), 1, g.InChannels}}
	}
	plane, kk := g.InH*g.InW, g.KernelSize[0]*g.KernelSize[1]
	out := g.OutH * g.OutW
	s := convstate.Default()
	s.InH, s.InW, s.KH, s.KW = g.InH, g.InW, g.KernelSize[0], g.KernelSize[1]
	s.PadH, s.PadW, s.Bias = g.Padding[0], g.Padding[1], true
	s.X = append([]float32(nil), lp.In[o.channel*plane:(o.channel+1)*plane]...)
	wi := (o.filter*g.InChannels + o.channel) * kk
	s.W = append([]float32(nil), lp.Weight[wi:wi+kk]...)
	s.B = []float32{lp.Bias[o.filter]}
	s.XSet, s.WSet, s.BSet = true, true, true
	sg, err := s.Resolve()
	if err != nil {
		return nil, nil, "", err
	}
	l := &bwLayer{g: sg, x: s.X, w: s.W, b: s.B, query: s.Query()}
	l.query.Del("step")
	dy := append([]float32(nil), lp.GradOut[o.filter*out:(o.filter+1)*out]...)
	key := "conv.bw.loss_note"
	if src.what != "" {
		key = "conv.bw.loss_note_network"
	}
	note := i18n.TL(lang, key, o.layer, o.filter+1, g.OutChannels, o.channel+1, g.InChannels,
		o.label, fmtBW(float32(bp.Loss)), fmtBW(bp.Probs[o.label]))
	return l, dy, note, nil
}

// dualAnimationURL is the /animations custom animation of the transposed
// convolution that gives dX (a Conv2d's dual), or "" when there is none
// (a transposed layer's dX is a plain convolution) or it is out of the
// animations' bounds.
func dualAnimationURL(d *conv.Geometry) string {
	if !d.Transposed {
		return ""
	}
	pair := func(a [2]int) string { return fmt.Sprintf("%dx%d", a[0], a[1]) }
	q := url.Values{"input": {pair([2]int{d.InH, d.InW})}, "kernel": {pair(d.KernelSize)}, "stride": {pair(d.Stride)},
		"dilation": {pair(d.Dilation)}, "output_padding": {pair(d.OutputPadding)}, "transposed": {"1"}}
	p, err := animations.ParseQuery(q)
	if err == nil {
		_, err = animations.Measure(p)
	}
	if err != nil {
		return ""
	}
	return "/animations?" + q.Encode() + "#anim-custom-h"
}
