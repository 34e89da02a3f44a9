// Package convview builds what the visualizer (/conv) shows from a
// convstate.State: it runs the engine (conv) and turns its answer into
// the view model views.ConvView (CSS classes, colours, the output-size
// formula, the PyTorch line, the uncovered rows, every step written out,
// every number formatted, every sentence in the reader's language). The
// templ components in views/conv.templ render it, for the first paint
// (GET /conv) and for the stage fragment after an edit (/conv/stage);
// the page's script only steps through Script.Steps, which this package
// formats too. Nothing here needs a server: tests call Build directly.
package convview

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/internal/apperr"
	"github.com/convlab/convlab/internal/convstate"
	"github.com/convlab/convlab/views"
)

// Explain words an error for the reader: the message in the reader's
// language and the parameter it is about. The server passes its one
// error wording, ExplainKeys.
type Explain func(lang string, err error) (msg, param string)

// Script is the JSON block "conv-data" the page's script reads: the state
// (for window.convlabVisualizer), its URL query without the step (the
// script sets only step=), the form's values, and the trace, one entry a
// step, everything already formatted. The script fills these strings into
// markup templ rendered; it builds none of its own.
type Script struct {
	State convstate.State `json:"state"`
	Query string          `json:"query"` // convstate's query of State without "step"
	OK    bool            `json:"ok"`    // the state ran: Steps and the rest are filled
	Error string          `json:"error"` // why not (or why an edit was refused)
	Form  map[string]any  `json:"form"`  // the settings form's fields by name

	Steps    []Step            `json:"steps"`
	Out      []string          `json:"out"`       // output cells in step order, formatted
	OutClass []string          `json:"out_class"` // their sign class (neg, zero, pos)
	OutFill  []string          `json:"out_fill"`  // their colours in the output pictures ("" without pictures)
	Pending  string            `json:"pending"`   // the colour of a picture cell not computed yet
	Kernels  [][]Kernel        `json:"kernels"`   // [filter][input channel]
	Channels []string          `json:"channels"`  // the names of the input channels ("channel 1", ...)
	Params   []string          `json:"params"`    // the query parameters that are the state's (convstate.Params); the others are the page's
	Messages map[string]string `json:"messages"`
}

// Step is one output cell of the trace, written out.
type Step struct {
	views.StepText
	Bias string   `json:"bias,omitempty"`
	F    int      `json:"f"`   // the filter (output channel): which Kernels to show
	Win  [4]int   `json:"win"` // the window on the padded grid: rows [0, 1), columns [2, 3)
	Ch   []string `json:"ch"`  // the sum of each input channel
	// Taps, one a multiplication: [channel, y, x, ky, kx, input, weight,
	// product] with y, x on the padded grid, then the cell's kind when it
	// is not "real" ("pad", "inserted", "copy"), and for a copied padding
	// cell the cell it copies (y, x on the padded grid). Short, because a
	// large trace has thousands.
	Taps [][]any `json:"taps"`
}

// Kernel is one filter's weights for one input channel, as the kernel
// grid shows them.
type Kernel struct {
	Label string   `json:"label"`
	Text  []string `json:"t"`
	Class []string `json:"c"`
	Index []int    `json:"i"` // index into State.W (data-i, for editing)
}

// ExplainKeys words a state the visualizer cannot use, in lang: the
// engine's refusal (a *conv.Error, by its code) after "conv.err.engine",
// any other *apperr.Error (convstate's, by its key) as it is; anything
// else, a bug, as its English text.
func ExplainKeys(lang string, err error) (string, string) {
	var ce *conv.Error
	if errors.As(err, &ce) {
		return i18n.TL(lang, "conv.err.engine", apperr.FromConv(ce).Message(lang)), ce.Param
	}
	if e, ok := apperr.As(err); ok {
		return e.Message(lang), e.Param
	}
	return i18n.TL(lang, "conv.err.engine", err.Error()), ""
}

// scriptMessages are the few texts the script says itself: the play
// button's label and a failed request.
func scriptMessages(lang string) map[string]string {
	m := map[string]string{}
	for _, k := range []string{"conv.play", "conv.pause", "conv.err.heading", "conv.err.network"} {
		m[k] = i18n.TL(lang, k)
	}
	return m
}

// lessonSequence is the order of the lesson's examples (/lesson follows
// it too): "Next example" on /conv walks it.
var lessonSequence = []string{"lesson-4x4", "lesson-5x5", "lesson-mnist", "stride", "zero-padding"}

// Build runs the engine on s and fills the view model. On an error (a
// state the visualizer cannot run) the view has OK false, Error set and
// the controls of s; err is the error itself (for the status).
func Build(lang string, s convstate.State, explain Explain) (views.ConvView, error) {
	t := func(k string, a ...any) string { return i18n.TL(lang, k, a...) }
	vm := views.ConvView{Form: form(&s), OutSize: "–", StepIndex: "0 / 0"}
	for _, p := range convstate.Presets {
		vm.Presets = append(vm.Presets, views.ConvOption{Value: p.Name, Label: t(p.Key), Selected: p.Name == s.Preset})
	}
	for _, m := range convstate.Modes {
		vm.Modes = append(vm.Modes, views.ConvOption{Value: m, Label: t("conv.mode." + m), Selected: m == s.Mode})
	}
	for _, k := range []string{"num", "same", "valid"} {
		vm.Pads = append(vm.Pads, views.ConvOption{Value: k, Label: t("conv.pad." + k), Selected: k == vm.Form.PadKind})
	}
	for i, name := range lessonSequence[:len(lessonSequence)-1] {
		if name == s.Preset {
			if p, ok := convstate.PresetByName(lessonSequence[i+1]); ok {
				vm.NextExample = views.ConvOption{Value: "/conv?preset=" + p.Name, Label: t(p.Key)}
			}
		}
	}
	for _, k := range convstate.NamedKernels {
		vm.Kernels = append(vm.Kernels, views.ConvOption{Value: k, Label: t("conv.kernel." + strings.ReplaceAll(k, "-", "_"))})
	}
	data := Script{State: s, Form: formFields(&vm.Form), Pending: pendingFill, Params: convstate.Params,
		Messages: scriptMessages(lang)}

	op, r, err := run(&s)
	if err != nil {
		vm.Error, vm.ErrorParam = explain(lang, err)
		data.Error = vm.Error
		data.Query = queryWithoutStep(&s)
		vm.Data = data
		vm.Query = data.Query
		return vm, err
	}
	g := r.g
	vm.OK = true
	data.OK = true
	vm.Op = string(s.Op())
	vm.Transposed = s.Transposed
	vm.Wide = g.PaddedW()+g.OutW > 24
	vm.StepCount = len(r.steps)
	s.Step = min(max(s.Step, 1), vm.StepCount)
	data.State = s
	data.Query = queryWithoutStep(&s)
	vm.Query = data.Query
	vm.Step = s.Step
	vm.StepIndex = fmt.Sprintf("%d / %d", s.Step, vm.StepCount)
	vm.PrevURL, vm.NextURL = s.StepURL(max(s.Step-1, 1)), s.StepURL(min(s.Step+1, vm.StepCount))
	vm.OutSize = fmt.Sprintf("%d×%d", g.OutH, g.OutW)
	vm.MACs = g.MACs()
	step := r.steps[s.Step-1]

	bd := &builder{t: t, s: &s, r: r, g: g, step: &step, vm: &vm, data: &data}
	ekh, ekw := bd.inputs()
	bd.kernels()
	bd.outputs()
	bd.pictures()
	unRows, unCols := uncovered(g)
	for i := range r.steps {
		data.Steps = append(data.Steps, scriptStep(t, &s, g, &r.steps[i], i+1, vm.StepCount, ekh, ekw))
	}
	vm.Detail = stepDetail(t, &s, &step)
	vm.Narration = views.ConvNarration{Where: vm.Detail.Where, Equation: vm.Detail.Equation}
	vm.FormulaH = op.formula(g, 0)
	vm.FormulaW = op.formula(g, 1)
	vm.Uncovered = uncoveredText(t, g, unRows, unCols)
	vm.PyTorch = op.pytorch(g)
	vm.OutShape = fmt.Sprintf("torch.Size([1, %d, %d, %d])", g.OutChannels, g.OutH, g.OutW)
	nb := 0
	if g.Bias {
		nb = g.OutChannels
	}
	vm.Params = t("conv.params_count", g.ParamCount(), g.WeightLen(), nb)
	vm.ChannelNames = data.Channels
	vm.Data = data
	return vm, nil
}

// builder fills the parts of the view model of one configuration that
// ran: the grids, the kernels, the outputs and the pictures.
type builder struct {
	t    func(string, ...any) string
	s    *convstate.State
	r    *result
	g    *conv.Geometry
	step *conv.Step // the current step
	vm   *views.ConvView
	data *Script
}

// inputs draws each input channel on the padded grid, the current
// window marked; it returns the window's size on the grid.
func (b *builder) inputs() (ekh, ekw int) {
	t, s, r, g, step, vm, data := b.t, b.s, b.r, b.g, b.step, b.vm, b.data
	ekh, ekw = g.Dilation[0]*(g.KernelSize[0]-1)+1, g.Dilation[1]*(g.KernelSize[1]-1)+1
	tapAt := map[[3]int]string{} // cell → the weight it is multiplied by
	srcOf := map[[3]int]bool{}   // cells a copied padding cell of this step copies
	for _, tp := range step.Taps {
		tapAt[[3]int{tp.C, tp.Y, tp.X}] = fmtNum(tp.Weight)
		if tp.Kind == conv.CopyPad {
			srcOf[[3]int{tp.C, tp.SrcY + g.PadTop, tp.SrcX + g.PadLeft}] = true
		}
	}
	unRows, unCols := uncovered(g)
	dense := denseClass(g.PaddedW())
	lo, hi := minMax(s.X)
	for c := range s.Channels {
		data.Channels = append(data.Channels, t("conv.channel", c+1))
		ch := views.ConvChannel{Label: t("conv.channel", c+1)}
		grid := views.ConvGrid{ID: fmt.Sprintf("conv-in-%d", c), Label: t("conv.input_grid", c+1), Class: dense}
		if s.Channels > 1 {
			grid.Caption = grid.Label
		}
		for y, row := range r.grid {
			var cells []views.ConvCell
			for x, cell := range row {
				cl := []string{"cell", cell.Kind.String()}
				text := "0"
				attrs := templ.Attributes{"data-y": strconv.Itoa(y), "data-x": strconv.Itoa(x)}
				if cell.SrcY >= 0 {
					i := s.XIndex(c, cell.SrcY, cell.SrcX)
					text = fmtNum(s.X[i])
					cl = append(cl, shadeClass(s.X[i], lo, hi))
					switch cell.Kind {
					case conv.CopyPad:
						attrs["data-src"] = fmt.Sprintf("%d,%d", cell.SrcY+g.PadTop, cell.SrcX+g.PadLeft)
						attrs["title"] = t("conv.copy_of", cell.SrcY+1, cell.SrcX+1)
					case conv.Real:
						attrs["data-i"] = strconv.Itoa(i)
						attrs["data-label"] = t("conv.edit_label", cell.SrcY+1, cell.SrcX+1)
					}
				}
				if y >= step.WindowY && y < step.WindowY+ekh && x >= step.WindowX && x < step.WindowX+ekw {
					cl = append(cl, "win")
				}
				if w, ok := tapAt[[3]int{c, y, x}]; ok {
					cl = append(cl, "tap")
					attrs["data-w"] = w
				}
				if srcOf[[3]int{c, y, x}] {
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
		for i, cc := range step.Channels {
			if cc == c {
				ch.Sum = fmtNum(step.ChannelSums[i])
			}
		}
		vm.Channels = append(vm.Channels, ch)
	}
	return ekh, ekw
}

func (b *builder) kernels() {
	t, s, step, vm, data := b.t, b.s, b.step, b.vm, b.data
	// The kernels of every filter (the script swaps them as the step's
	// filter changes); the page shows the current step's.
	for f := range s.Filters {
		var ks []Kernel
		for c := range s.Channels {
			k := Kernel{Label: t("conv.kernel_grid", f+1, c+1)}
			for ky := range s.KH {
				for kx := range s.KW {
					i := s.WeightIndex(f, c, ky, kx)
					k.Text = append(k.Text, fmtNum(s.W[i]))
					k.Class = append(k.Class, "cell k "+signClass(s.W[i]))
					k.Index = append(k.Index, i)
				}
			}
			ks = append(ks, k)
		}
		data.Kernels = append(data.Kernels, ks)
	}
	for c := range vm.Channels {
		k := data.Kernels[step.OutChannel][c]
		kg := views.ConvGrid{ID: fmt.Sprintf("conv-k-%d", c), Label: k.Label, Class: "kernel"}
		for ky := range s.KH {
			var cells []views.ConvCell
			for kx := range s.KW {
				j := ky*s.KW + kx
				cells = append(cells, views.ConvCell{Text: k.Text[j], Class: k.Class[j],
					Attrs: templ.Attributes{"data-ky": strconv.Itoa(ky), "data-kx": strconv.Itoa(kx), "data-i": strconv.Itoa(k.Index[j]),
						"data-label": t("conv.edit_label", ky+1, kx+1)}})
			}
			kg.Rows = append(kg.Rows, cells)
		}
		vm.Channels[c].Kernel = kg
	}
}

func (b *builder) outputs() {
	t, s, r, g, vm, data := b.t, b.s, b.r, b.g, b.vm, b.data
	// Output grids, filled up to the current step.
	odense := denseClass(g.OutW)
	for oc := range g.OutChannels {
		og := views.ConvGrid{ID: fmt.Sprintf("conv-out-%d", oc), Label: t("conv.output_grid", oc+1), Class: odense}
		if g.OutChannels > 1 {
			og.Caption = og.Label
		}
		for oy := range g.OutH {
			var cells []views.ConvCell
			for ox := range g.OutW {
				idx := (oc*g.OutH+oy)*g.OutW + ox
				v := r.out[idx]
				data.Out = append(data.Out, fmtNum(v))
				done := "cell out done " + signClass(v)
				data.OutClass = append(data.OutClass, done)
				where := t("conv.where", oy+1, ox+1)
				if g.OutChannels > 1 {
					where = t("conv.where_filter", oy+1, ox+1, oc+1)
				}
				cell := views.ConvCell{Class: "cell out", Attrs: templ.Attributes{"data-step": strconv.Itoa(idx + 1), "title": where}}
				if idx < s.Step {
					cell.Text = fmtNum(v)
					cell.Class = done
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
}

func (b *builder) pictures() {
	t, s, r, g, vm, data := b.t, b.s, b.r, b.g, b.vm, b.data
	// Large grids also as pictures (the MNIST digit and its feature map).
	if s.InH*s.InW >= 100 {
		for c := range s.Channels {
			vm.Images = append(vm.Images, grayImage(fmt.Sprintf("conv-img-in-%d", c), t("conv.image_input", c+1),
				s.X[c*s.InH*s.InW:(c+1)*s.InH*s.InW], s.InH, s.InW))
		}
		hw := g.OutH * g.OutW
		for oc := range g.OutChannels {
			img := divergingImage(fmt.Sprintf("conv-img-out-%d", oc), t("conv.image_output", oc+1), r.out[oc*hw:(oc+1)*hw], g.OutH, g.OutW)
			for i := range img.Pixels {
				data.OutFill = append(data.OutFill, img.Pixels[i].Fill)
				if oc*hw+i >= s.Step { // not computed yet at this step
					img.Pixels[i].Fill = pendingFill
				}
			}
			vm.Images = append(vm.Images, img)
		}
	}
}

// Refused is the page for a URL the visualizer cannot read: the controls
// (of the default state, so they work), the reason, and no stage.
func Refused(lang string, err error, explain Explain) views.ConvView {
	s := convstate.Default()
	s.Fill()
	full, _ := Build(lang, s, explain)
	vm := views.ConvView{Form: full.Form, Presets: full.Presets, Modes: full.Modes, Pads: full.Pads,
		Kernels: full.Kernels, OutSize: "–", StepIndex: "0 / 0"}
	vm.Error, vm.ErrorParam = explain(lang, err)
	d := Script{State: s, Query: queryWithoutStep(&s), Error: vm.Error, Form: formFields(&vm.Form),
		Pending: pendingFill, Params: convstate.Params, Messages: full.Data.(Script).Messages}
	vm.Data = d
	vm.Query = d.Query
	return vm
}

// WithError is vm with a message on top (an edit the page refused; the
// stage stays as it was).
func WithError(vm views.ConvView, msg, param string) views.ConvView {
	vm.Error, vm.ErrorParam = msg, param
	if d, ok := vm.Data.(Script); ok {
		d.Error = msg
		vm.Data = d
	}
	return vm
}

func queryWithoutStep(s *convstate.State) string {
	q := s.Query()
	q.Del("step")
	return q.Encode()
}

func denseClass(w int) string {
	switch {
	case w > 20:
		return "dense tiny"
	case w > 12:
		return "dense"
	}
	return ""
}

func form(s *convstate.State) views.ConvForm {
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

// formFields are the form's values by field name, for the script to set
// after an edit from elsewhere (the follow-along).
func formFields(f *views.ConvForm) map[string]any {
	return map[string]any{
		"preset": f.Preset, "input": f.Input, "kernel": f.Kernel, "stride": f.Stride, "dilation": f.Dilation,
		"padkind": f.PadKind, "padding": f.Padding, "mode": f.Mode, "channels": f.Channels, "filters": f.Filters,
		"bias": f.Bias, "transposed": f.Transposed, "output_padding": f.OutputPadding,
	}
}
