package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/internal/convstate"
	"github.com/convlab/convlab/views"
	"github.com/labstack/echo/v4"
)

// convPage serves GET /conv, the convolution visualizer. The URL holds the
// whole state (see parseConvQuery); the engine computes the output and the
// step trace here, so the first paint is complete before any script runs.
// A configuration the page cannot use still renders the page (controls and
// all) with the reason, in the reader's language, and status 400.
func (a *app) convPage(c echo.Context) error {
	ctx := c.Request().Context()
	vm, status := buildConvView(ctx, c.Request().URL.Query())
	p := a.page(c, i18n.T(ctx, "conv.title"), "conv")
	p.Scripts = []string{"/static/js/visualizer.js", "/static/js/follow.js"}
	p.Styles = []string{"/static/css/conv.css", "/static/css/classroom.css"}
	vm.Classroom = a.classroomView(c, p)
	return render(c, status, views.Conv(p, vm))
}

// convResult is what the page's script gets: the answer of POST /api/conv
// with "trace": true, except that the steps travel packed (Packed, see
// packSteps; the script unpacks them into the same objects), a third of
// the size for the page's first load.
type convResult struct {
	Output   [][][]float32    `json:"output"`
	Shape    [3]int           `json:"shape"`
	Steps    []conv.Step      `json:"-"`
	Packed   [][]any          `json:"packed"`
	Grid     [][]conv.Cell    `json:"grid"`
	Geometry *convAPIGeometry `json:"geometry"`
}

// packSteps writes each step as one array:
//
//	[out_channel, out_y, out_x, window_y, window_x, bias, sum,
//	 channels..., channel_sums..., taps...]
//
// with len(channels) = len(channel_sums) = n given by the geometry
// (in_channels / groups) and each tap as 13 numbers:
// c, wy, wx, ky, kx, y, x, kind (0 real, 1 pad, 2 copy, 3 inserted),
// src_y, src_x, input, weight, product. unpackSteps in
// static/js/visualizer.js reads it back.
func packSteps(steps []conv.Step) [][]any {
	out := make([][]any, len(steps))
	for i, st := range steps {
		a := make([]any, 0, 7+2*len(st.Channels)+13*len(st.Taps))
		a = append(a, st.OutChannel, st.OutY, st.OutX, st.WindowY, st.WindowX, st.Bias, st.Sum)
		for _, c := range st.Channels {
			a = append(a, c)
		}
		for _, v := range st.ChannelSums {
			a = append(a, v)
		}
		for _, t := range st.Taps {
			a = append(a, t.C, t.WY, t.WX, t.KY, t.KX, t.Y, t.X, uint8(t.Kind), t.SrcY, t.SrcX, t.Input, t.Weight, t.Product)
		}
		out[i] = a
	}
	return out
}

// convData is everything the script needs, in one JSON block.
type convData struct {
	State    convstate.State   `json:"state"`
	Result   *convResult       `json:"result"` // nil when Error is set
	Error    string            `json:"error"`
	Messages map[string]string `json:"messages"`
	Limits   map[string]int    `json:"limits"`
	Lang     string            `json:"lang"`
}

// errOverflow: the output does not fit float32.
var errOverflow = &convstate.Error{Key: "overflow"}

// computeConv runs the engine on the state: geometry, output, full trace.
func computeConv(s *convstate.State) (*conv.Geometry, *convResult, error) {
	g, err := s.Resolve()
	if err != nil {
		return nil, nil, err
	}
	var b []float32
	if s.Bias {
		b = s.B
	}
	y := make([]float32, g.OutLen(1))
	conv.ForwardNaive(g, y, s.X, s.W, b, 1)
	r := &convResult{
		Shape:    [3]int{g.OutChannels, g.OutH, g.OutW},
		Steps:    conv.Trace(g, s.X, s.W, b),
		Grid:     g.Grid(),
		Geometry: newConvAPIGeometry(g),
	}
	r.Output = make([][][]float32, g.OutChannels)
	for c := range r.Output {
		r.Output[c] = make([][]float32, g.OutH)
		for i := range r.Output[c] {
			r.Output[c][i] = y[(c*g.OutH+i)*g.OutW : (c*g.OutH+i+1)*g.OutW]
		}
	}
	for _, v := range y {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, nil, errOverflow
		}
	}
	return g, r, nil
}

// localizeConvError words an error for the page, in the reader's language.
func localizeConvError(lang string, err error) (msg, param string) {
	var pe *convstate.Error
	var ce *conv.Error
	switch {
	case errors.As(err, &pe):
		return i18n.TL(lang, "conv.err."+pe.Key, pe.Args...), pe.Param
	case errors.As(err, &ce):
		return i18n.TL(lang, "conv.err.engine", engineMessage(lang, ce)), ce.Param
	}
	return i18n.TL(lang, "conv.err.engine", err.Error()), ""
}

// buildConvView parses the URL, runs the engine and fills the view model.
// The status is 200, or 400 when the URL asks for something the page
// cannot show (the page still renders, with the reason).
func buildConvView(ctx context.Context, q url.Values) (views.ConvView, int) {
	lang := i18n.Lang(ctx)
	st, err := convstate.Parse(q)
	if err != nil {
		// Show the controls on a known-good state, the message on top.
		msg, param := localizeConvError(lang, err)
		good := convstate.Default()
		good.Fill()
		vm := convView(ctx, &good)
		// Nothing of the stand-in state is shown: only its controls.
		vm = views.ConvView{Form: vm.Form, Presets: vm.Presets, Modes: vm.Modes, Pads: vm.Pads,
			Kernels: vm.Kernels, OutSize: "–", StepIndex: "0 / 0", Data: vm.Data}
		vm.Error, vm.ErrorParam = msg, param
		d := vm.Data.(convData)
		d.Error = msg
		d.Result = nil
		vm.Data = d
		return vm, http.StatusBadRequest
	}
	vm := convView(ctx, &st)
	if vm.Error != "" {
		return vm, http.StatusBadRequest
	}
	return vm, http.StatusOK
}

func convView(ctx context.Context, s *convstate.State) views.ConvView {
	lang := i18n.Lang(ctx)
	t := func(k string, a ...any) string { return i18n.TL(lang, k, a...) }
	vm := views.ConvView{Form: convForm(s)}
	for _, p := range convstate.Presets {
		vm.Presets = append(vm.Presets, views.ConvOption{Value: p.Name, Label: t(p.Key), Selected: p.Name == s.Preset})
	}
	for _, m := range []string{"zeros", "reflect", "replicate", "circular"} {
		vm.Modes = append(vm.Modes, views.ConvOption{Value: m, Label: m, Selected: m == s.Mode})
	}
	for _, k := range []string{"num", "same", "valid"} {
		vm.Pads = append(vm.Pads, views.ConvOption{Value: k, Label: t("conv.pad." + k), Selected: k == vm.Form.PadKind})
	}
	for _, k := range []string{"identity", "edge", "sharpen", "blur", "sobel-x", "sobel-y"} {
		vm.Kernels = append(vm.Kernels, views.ConvOption{Value: k, Label: t("conv.kernel." + strings.ReplaceAll(k, "-", "_"))})
	}
	data := convData{
		State: *s, Messages: i18n.Messages(lang, "conv."), Lang: lang,
		Limits: map[string]int{
			"input": convstate.MaxInput, "kernel": convstate.MaxKernel, "stride": convstate.MaxStride,
			"dilation": convstate.MaxDilation, "padding": convstate.MaxPadding, "channels": convstate.MaxChannels,
			"filters": convstate.MaxFilters, "output": convstate.MaxOutput, "macs": convstate.MaxTaps, "abs": convstate.MaxAbs,
		},
	}
	g, r, err := computeConv(s)
	if err != nil {
		vm.Error, vm.ErrorParam = localizeConvError(lang, err)
		vm.OutSize, vm.StepIndex = "–", "0 / 0"
		data.Error = vm.Error
		vm.Data = data
		return vm
	}
	r.Packed = packSteps(r.Steps)
	data.Result = r
	vm.Data = data
	vm.OK = true
	vm.Transposed = s.Transposed
	vm.Wide = g.PaddedW()+g.OutW > 24
	vm.StepCount = len(r.Steps)
	s.Step = min(max(s.Step, 1), vm.StepCount)
	data.State.Step = s.Step
	vm.Data = data
	vm.Step = s.Step
	vm.StepIndex = fmt.Sprintf("%d / %d", s.Step, vm.StepCount)
	at := func(step int) string {
		c := *s
		c.Step = min(max(step, 1), vm.StepCount)
		return "/conv?" + c.Query().Encode()
	}
	vm.PrevURL, vm.NextURL = at(s.Step-1), at(s.Step+1)
	vm.OutSize = fmt.Sprintf("%d×%d", g.OutH, g.OutW)
	vm.MACs = g.MACs()
	step := r.Steps[s.Step-1]

	// Which padded-grid rows and columns fall in the current window.
	kh, kw := g.KernelSize[0], g.KernelSize[1]
	tapAt := map[[3]int]string{} // cell → the weight it is multiplied by
	for _, tp := range step.Taps {
		tapAt[[3]int{tp.C, tp.Y, tp.X}] = "×" + fmtNum(tp.Weight)
	}
	ekh, ekw := g.Dilation[0]*(kh-1)+1, g.Dilation[1]*(kw-1)+1
	unRows, unCols := uncovered(g)
	srcOf := map[[2]int]bool{}
	for _, tp := range step.Taps {
		if tp.Kind == conv.CopyPad {
			srcOf[[2]int{tp.SrcY, tp.SrcX}] = true
		}
	}
	dense := ""
	if g.PaddedW() > 12 {
		dense = "dense"
	}
	if g.PaddedW() > 20 {
		dense = "dense tiny"
	}
	for c := range s.Channels {
		ch := views.ConvChannel{Label: t("conv.channel", c+1)}
		grid := views.ConvGrid{ID: fmt.Sprintf("conv-in-%d", c), Label: t("conv.input_grid", c+1), Class: dense}
		if s.Channels > 1 {
			grid.Caption = grid.Label
		}
		for y, row := range r.Grid {
			var cells []views.ConvCell
			for x, cell := range row {
				cl := []string{"cell", cell.Kind.String()}
				text := "0"
				attrs := templ.Attributes{"data-y": strconv.Itoa(y), "data-x": strconv.Itoa(x)}
				if cell.SrcY >= 0 {
					v := s.X[(c*s.InH+cell.SrcY)*s.InW+cell.SrcX]
					text = fmtNum(v)
					cl = append(cl, shadeClass(v, s.X))
					if cell.Kind == conv.CopyPad {
						attrs["data-src"] = fmt.Sprintf("%d,%d", cell.SrcY, cell.SrcX)
					}
				}
				if y >= step.WindowY && y < step.WindowY+ekh && x >= step.WindowX && x < step.WindowX+ekw {
					cl = append(cl, "win")
				}
				if w, ok := tapAt[[3]int{c, y, x}]; ok {
					cl = append(cl, "tap")
					attrs["data-w"] = w
				}
				if cell.Kind == conv.Real && srcOf[[2]int{cell.SrcY, cell.SrcX}] {
					cl = append(cl, "src")
				}
				if unRows[y] || unCols[x] {
					cl = append(cl, "uncovered")
				}
				cells = append(cells, views.ConvCell{Text: text, Class: strings.Join(cl, " "), Attrs: attrs})
			}
			grid.Rows = append(grid.Rows, cells)
		}
		ch.Grid = grid
		// The kernel slice of the current filter for this channel.
		kg := views.ConvGrid{ID: fmt.Sprintf("conv-k-%d", c), Label: t("conv.kernel_grid", step.OutChannel+1, c+1), Class: "kernel"}
		for ky := range kh {
			var cells []views.ConvCell
			for kx := range kw {
				v := s.W[s.WeightIndex(step.OutChannel, c, ky, kx)]
				cells = append(cells, views.ConvCell{Text: fmtNum(v), Class: "cell k " + signClass(v),
					Attrs: templ.Attributes{"data-ky": strconv.Itoa(ky), "data-kx": strconv.Itoa(kx)}})
			}
			kg.Rows = append(kg.Rows, cells)
		}
		ch.Kernel = kg
		for i, cc := range step.Channels {
			if cc == c {
				ch.Sum = fmtNum(step.ChannelSums[i])
			}
		}
		vm.Channels = append(vm.Channels, ch)
	}

	// Output grids, filled up to the current step.
	odense := ""
	if g.OutW > 12 {
		odense = "dense"
	}
	if g.OutW > 20 {
		odense = "dense tiny"
	}
	for oc := range g.OutChannels {
		og := views.ConvGrid{ID: fmt.Sprintf("conv-out-%d", oc), Label: t("conv.output_grid", oc+1), Class: odense}
		if g.OutChannels > 1 {
			og.Caption = og.Label
		}
		for oy := range g.OutH {
			var cells []views.ConvCell
			for ox := range g.OutW {
				idx := (oc*g.OutH+oy)*g.OutW + ox
				cell := views.ConvCell{Class: "cell out", Attrs: templ.Attributes{"data-i": strconv.Itoa(idx)}}
				if idx < s.Step {
					v := r.Output[oc][oy][ox]
					cell.Text = fmtNum(v)
					cell.Class += " done " + signClass(v)
				}
				if idx == s.Step-1 {
					cell.Class += " current"
				}
				cells = append(cells, cell)
			}
			og.Rows = append(og.Rows, cells)
		}
		vm.Outputs = append(vm.Outputs, og)
	}

	// Large grids also as pictures (the MNIST digit and its feature map).
	if s.InH*s.InW >= 100 {
		for c := range s.Channels {
			vm.Images = append(vm.Images, grayImage(fmt.Sprintf("conv-img-in-%d", c), t("conv.image_input", c+1),
				s.X[c*s.InH*s.InW:(c+1)*s.InH*s.InW], s.InH, s.InW))
		}
		for oc := range g.OutChannels {
			flat := make([]float32, 0, g.OutH*g.OutW)
			for _, row := range r.Output[oc] {
				flat = append(flat, row...)
			}
			img := divergingImage(fmt.Sprintf("conv-img-out-%d", oc), t("conv.image_output", oc+1), flat, g.OutH, g.OutW)
			for i := range img.Pixels { // not computed yet at this step
				if oc*g.OutH*g.OutW+i >= s.Step {
					img.Pixels[i].Fill = pendingFill
				}
			}
			vm.Images = append(vm.Images, img)
		}
	}

	vm.Detail = stepDetail(t, s, step)
	vm.Narration = vm.Detail.Where + ": " + vm.Detail.Equation
	vm.FormulaH = formulaText(g, 0)
	vm.FormulaW = formulaText(g, 1)
	vm.Uncovered = uncoveredText(t, g, unRows, unCols)
	vm.PyTorch = pytorchLine(g)
	vm.OutShape = fmt.Sprintf("torch.Size([1, %d, %d, %d])", g.OutChannels, g.OutH, g.OutW)
	nb := 0
	if g.Bias {
		nb = g.OutChannels
	}
	vm.Params = t("conv.params_count", g.ParamCount(), g.WeightLen(), nb)
	return vm
}

func convForm(s *convstate.State) views.ConvForm {
	f := views.ConvForm{
		Input: convstate.PairText(s.InH, s.InW), Kernel: convstate.PairText(s.KH, s.KW), Stride: convstate.PairText(s.SH, s.SW),
		Dilation: convstate.PairText(s.DH, s.DW), Padding: convstate.PairText(s.PadH, s.PadW), OutputPadding: convstate.PairText(s.OPH, s.OPW),
		PadKind: "num", Mode: s.Mode, Channels: s.Channels, Filters: s.Filters,
		Bias: s.Bias, Transposed: s.Transposed, Preset: s.Preset,
	}
	if s.PadStr != "" {
		f.PadKind = s.PadStr
	}
	return f
}

// uncovered marks the padded-grid rows and columns no window ever covers
// (a stride that does not divide evenly, or a stride larger than the
// kernel). Transposed convolutions slide with stride 1 and cover all.
func uncovered(g *conv.Geometry) (rows, cols map[int]bool) {
	rows, cols = map[int]bool{}, map[int]bool{}
	if g.Transposed {
		return
	}
	mark := func(n, out, s, ek int, m map[int]bool) {
		cov := make([]bool, n)
		for o := range out {
			for i := o * s; i < o*s+ek && i < n; i++ {
				cov[i] = true
			}
		}
		for i, c := range cov {
			if !c {
				m[i] = true
			}
		}
	}
	mark(g.PaddedH(), g.OutH, g.Stride[0], g.Dilation[0]*(g.KernelSize[0]-1)+1, rows)
	mark(g.PaddedW(), g.OutW, g.Stride[1], g.Dilation[1]*(g.KernelSize[1]-1)+1, cols)
	return
}

func uncoveredText(t func(string, ...any) string, g *conv.Geometry, rows, cols map[int]bool) []string {
	var out []string
	name := func(m map[int]bool, n, before, size int, key string) {
		var real []string
		pad := 0
		for i := range n {
			if !m[i] {
				continue
			}
			if p := i - before; p >= 0 && p < size {
				real = append(real, strconv.Itoa(p+1))
			} else {
				pad++
			}
		}
		if len(real) > 0 {
			out = append(out, t(key, strings.Join(real, ", ")))
		}
		if pad > 0 {
			out = append(out, t(key+"_pad", pad))
		}
	}
	name(rows, g.PaddedH(), g.PadTop, g.InH, "conv.uncovered_rows")
	name(cols, g.PaddedW(), g.PadLeft, g.InW, "conv.uncovered_cols")
	return out
}

// formulaText is the output-size formula of one dimension with the numbers.
func formulaText(g *conv.Geometry, a int) string {
	i := g.InH
	o := g.OutH
	if a == 1 {
		i, o = g.InW, g.OutW
	}
	k, s, d := g.KernelSize[a], g.Stride[a], g.Dilation[a]
	if g.Transposed {
		p, op := g.Padding[a], g.OutputPadding[a]
		return fmt.Sprintf("o = (i − 1)·s − 2p + d(k − 1) + output_padding + 1 = (%d − 1)·%d − 2·%d + %d·(%d − 1) + %d + 1 = %d",
			i, s, p, d, k, op, o)
	}
	p1, p2 := g.PadTop, g.PadBottom
	if a == 1 {
		p1, p2 = g.PadLeft, g.PadRight
	}
	pad := fmt.Sprintf("2·%d", p1)
	if p1 != p2 {
		pad = fmt.Sprintf("%d + %d", p1, p2)
	}
	n := i + p1 + p2 - d*(k-1) - 1
	rem := ""
	if n%s != 0 {
		rem = fmt.Sprintf(" (%d = %d·%d + %d)", n, s, n/s, n%s)
	}
	return fmt.Sprintf("o = ⌊(i + 2p − d(k − 1) − 1) / s⌋ + 1 = ⌊(%d + %s − %d·(%d − 1) − 1) / %d⌋ + 1 = ⌊%d / %d⌋ + 1 = %d%s",
		i, pad, d, k, s, n, s, o, rem)
}

// pytorchLine is the torch.nn layer with these settings (defaults left out,
// bias=False spelled out since PyTorch's default is bias=True).
func pytorchLine(g *conv.Geometry) string {
	tup := func(v [2]int) string {
		if v[0] == v[1] {
			return strconv.Itoa(v[0])
		}
		return fmt.Sprintf("(%d, %d)", v[0], v[1])
	}
	name := "nn.Conv2d"
	if g.Transposed {
		name = "nn.ConvTranspose2d"
	}
	args := []string{strconv.Itoa(g.InChannels), strconv.Itoa(g.OutChannels), "kernel_size=" + tup(g.KernelSize)}
	if g.Stride != [2]int{1, 1} {
		args = append(args, "stride="+tup(g.Stride))
	}
	switch {
	case g.PaddingStr != "":
		args = append(args, fmt.Sprintf("padding='%s'", g.PaddingStr))
	case g.Padding != [2]int{}:
		args = append(args, "padding="+tup(g.Padding))
	}
	if g.Transposed && g.OutputPadding != [2]int{} {
		args = append(args, "output_padding="+tup(g.OutputPadding))
	}
	if g.Dilation != [2]int{1, 1} {
		args = append(args, "dilation="+tup(g.Dilation))
	}
	if !g.Bias {
		args = append(args, "bias=False")
	}
	if g.PaddingMode != conv.Zeros {
		args = append(args, fmt.Sprintf("padding_mode='%s'", g.PaddingMode))
	}
	return name + "(" + strings.Join(args, ", ") + ")"
}

// stepDetail writes one step out: every product, the per-channel sums,
// the bias and the total (all numbers from the engine's trace).
func stepDetail(t func(string, ...any) string, s *convstate.State, st conv.Step) views.ConvDetail {
	d := views.ConvDetail{Sum: fmtNum(st.Sum)}
	if s.Filters > 1 {
		d.Where = t("conv.where_filter", st.OutY+1, st.OutX+1, st.OutChannel+1)
	} else {
		d.Where = t("conv.where", st.OutY+1, st.OutX+1)
	}
	multi := len(st.Channels) > 1
	var terms, sums []string
	for i, c := range st.Channels {
		grp := views.ConvTermGroup{Sum: fmtNum(st.ChannelSums[i])}
		if multi {
			grp.Label = t("conv.channel", c+1)
		}
		var ct []string
		for _, tp := range st.Taps {
			if tp.C != c {
				continue
			}
			grp.Terms = append(grp.Terms, views.ConvTerm{X: fmtNum(tp.Input), W: fmtNum(tp.Weight), Product: fmtNum(tp.Product), Class: tp.Kind.String()})
			ct = append(ct, fmtNum(tp.Input)+"×"+paren(fmtNum(tp.Weight)))
		}
		d.Groups = append(d.Groups, grp)
		if multi {
			terms = append(terms, "("+strings.Join(ct, " + ")+")")
		} else {
			terms = append(terms, ct...)
		}
		sums = append(sums, paren(grp.Sum))
	}
	if multi && len(st.Taps) > 27 {
		terms = sums
	}
	eq := strings.Join(terms, " + ")
	if s.Bias {
		d.Bias = fmtNum(st.Bias)
		eq += " + " + paren(d.Bias)
	}
	d.Equation = eq + " = " + d.Sum
	return d
}

func paren(v string) string {
	if strings.HasPrefix(v, "-") {
		return "(" + v + ")"
	}
	return v
}

// shadeClass buckets a value for the cell background: s0 (lowest) .. s4.
func shadeClass(v float32, all []float32) string {
	lo, hi := minMax(all)
	if hi <= lo {
		return "s0"
	}
	b := int(float64(v-lo) / float64(hi-lo) * 4.999)
	return "s" + strconv.Itoa(min(max(b, 0), 4))
}

// signClass marks negative and positive values (blue / orange, not red /
// green).
func signClass(v float32) string {
	switch {
	case v < 0:
		return "neg"
	case v > 0:
		return "pos"
	}
	return "zero"
}

func minMax(v []float32) (lo, hi float32) {
	if len(v) == 0 {
		return 0, 0
	}
	lo, hi = v[0], v[0]
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	return
}

// grayImage draws values as grey levels (min black, max white).
func grayImage(id, label string, v []float32, h, w int) views.ConvImage {
	img := views.ConvImage{ID: id, Label: label, W: w, H: h}
	lo, hi := minMax(v)
	for i, x := range v {
		l := 0.0
		if hi > lo {
			l = float64(x-lo) / float64(hi-lo)
		}
		c := int(math.Round(l * 255))
		img.Pixels = append(img.Pixels, views.ConvPixel{X: i % w, Y: i / w, Fill: fmt.Sprintf("#%02x%02x%02x", c, c, c)})
	}
	return img
}

// divergingImage draws signed values: blue below zero, white at zero,
// orange above (colour-blind safe). static/js/visualizer.js mirrors it.
func divergingImage(id, label string, v []float32, h, w int) views.ConvImage {
	img := views.ConvImage{ID: id, Label: label, W: w, H: h}
	lo, hi := minMax(v)
	m := math.Max(math.Abs(float64(lo)), math.Abs(float64(hi)))
	for i, x := range v {
		img.Pixels = append(img.Pixels, views.ConvPixel{X: i % w, Y: i / w, Fill: divergingFill(float64(x), m)})
	}
	return img
}

// pendingFill is an output pixel the filter has not reached yet.
const pendingFill = "#e4e7eb"

func divergingFill(x, m float64) string {
	if m == 0 {
		return "#ffffff"
	}
	t := math.Max(-1, math.Min(1, x/m))
	// white → orange #E69F00 for t>0, white → blue #0072B2 for t<0
	to := [3]float64{0xE6, 0x9F, 0x00}
	if t < 0 {
		to = [3]float64{0x00, 0x72, 0xB2}
		t = -t
	}
	var c [3]int
	for i := range c {
		c[i] = int(math.Round(255 + (to[i]-255)*t))
	}
	return fmt.Sprintf("#%02x%02x%02x", c[0], c[1], c[2])
}
