package convview

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/internal/convstate"
	"github.com/convlab/convlab/views"
)

// BuildPool runs the engine's pooling on s (conv.Pool.TraceMax / TraceAvg
// for every output cell, in order) and fills the pooling visualizer's view
// model: the input with its padding and the current window, the output
// filled up to the current step, the step written out, the output-size
// formula and the PyTorch line. On an error the view has OK false and
// Error set (explain words it); err is the error itself.
func BuildPool(lang string, s convstate.PoolState, explain Explain) (views.ConvPoolView, error) {
	t := func(k string, a ...any) string { return i18n.TL(lang, k, a...) }
	vm := views.ConvPoolView{Form: poolForm(&s)}
	for _, p := range convstate.PoolPresets {
		vm.Presets = append(vm.Presets, views.ConvOption{Value: p.Name, Label: t(p.Key), Selected: p.Name == s.Preset})
	}
	for _, o := range []convstate.Op{convstate.OpMaxPool, convstate.OpAvgPool} {
		vm.Ops = append(vm.Ops, views.ConvOption{Value: string(o), Label: t("conv.pool.op." + string(o)), Selected: o == s.Op})
	}
	p, err := s.Resolve()
	if err != nil {
		vm.Error, _ = explain(lang, err)
		return vm, err
	}
	steps := make([]conv.PoolStep, 0, p.OutH*p.OutW)
	for oy := range p.OutH {
		for ox := range p.OutW {
			if s.Op == convstate.OpAvgPool {
				steps = append(steps, p.TraceAvg(s.X, 0, oy, ox))
			} else {
				steps = append(steps, p.TraceMax(s.X, 0, oy, ox))
			}
		}
	}
	s.Step = min(max(s.Step, 1), len(steps))
	st := steps[s.Step-1]
	vm.OK = true
	vm.StepIndex = fmt.Sprintf("%d / %d", s.Step, len(steps))
	vm.PrevURL, vm.NextURL = s.StepURL(max(s.Step-1, 1)), s.StepURL(min(s.Step+1, len(steps)))
	vm.FirstStep, vm.LastStep = s.Step == 1, s.Step == len(steps)

	// The grid: the input, its padding, and any cell a window reaches
	// past the padding (ceil_mode).
	y0, x0 := -p.Padding[0], -p.Padding[1]
	y1, x1 := p.InH+p.Padding[0], p.InW+p.Padding[1]
	for _, ps := range steps {
		for _, tp := range ps.Taps {
			y1, x1 = max(y1, tp.Y+1), max(x1, tp.X+1)
		}
	}
	tap := map[[2]int]int{}
	for i, tp := range st.Taps {
		tap[[2]int{tp.Y, tp.X}] = i
	}
	wy0, wx0 := st.WindowY, st.WindowX
	wy1, wx1 := wy0+1, wx0+1
	for _, tp := range st.Taps {
		wy1, wx1 = max(wy1, tp.Y+1), max(wx1, tp.X+1)
	}
	for y := y0; y < y1; y++ {
		var row []views.ConvPoolCell
		for x := x0; x < x1; x++ {
			c := views.ConvPoolCell{Class: "cell"}
			inside := y >= 0 && y < p.InH && x >= 0 && x < p.InW
			padded := y >= -p.Padding[0] && y < p.InH+p.Padding[0] && x >= -p.Padding[1] && x < p.InW+p.Padding[1]
			switch {
			case inside:
				c.Text = fmtNum(s.X[y*p.InW+x])
				c.Class += " real"
			case padded:
				c.Class += " pad"
			default:
				c.Class += " outside"
			}
			if y >= wy0 && y < wy1 && x >= wx0 && x < wx1 {
				c.Class += " win"
			}
			if i, ok := tap[[2]int{y, x}]; ok {
				c.Class += " tap"
				if s.Op == convstate.OpMaxPool && i == st.Arg {
					c.Class += " winner"
					c.Label = t("conv.pool.winner")
				}
			}
			row = append(row, c)
		}
		vm.Input = append(vm.Input, row)
	}
	for oy := range p.OutH {
		var row []views.ConvPoolCell
		for ox := range p.OutW {
			i := oy*p.OutW + ox
			c := views.ConvPoolCell{Class: "cell out", URL: s.StepURL(i + 1), Label: t("conv.where", oy+1, ox+1)}
			if i < s.Step {
				c.Text = fmtNum(steps[i].Value)
				c.Class += " done"
			}
			if i == s.Step-1 {
				c.Class += " current"
			}
			row = append(row, c)
		}
		vm.Output = append(vm.Output, row)
	}

	vm.Where = t("conv.where", st.OutY+1, st.OutX+1)
	var inside []string
	for _, tp := range st.Taps {
		if tp.Inside {
			inside = append(inside, fmtNum(tp.Value))
		}
	}
	vm.Values = inside
	vm.Value = fmtNum(st.Value)
	if s.Op == convstate.OpAvgPool {
		vm.Equation = fmt.Sprintf("(%s) / %d = %s / %d = %s", strings.Join(inside, " + "), st.Divisor, fmtNum(st.Sum), st.Divisor, vm.Value)
		if s.ExcludePad {
			vm.Note = t("conv.pool.note.avg_exclude")
		} else {
			vm.Note = t("conv.pool.note.avg")
		}
	} else {
		vm.Equation = fmt.Sprintf("max(%s) = %s", strings.Join(inside, ", "), vm.Value)
		vm.Note = t("conv.pool.note.max")
	}
	vm.FormulaH, vm.FormulaW = poolFormula(p, 0), poolFormula(p, 1)
	vm.PyTorch = poolTorch(&s, p)
	vm.OutShape = fmt.Sprintf("torch.Size([1, 1, %d, %d])", p.OutH, p.OutW)
	return vm, nil
}

func poolForm(s *convstate.PoolState) views.ConvPoolForm {
	f := views.ConvPoolForm{Preset: s.Preset, Op: string(s.Op), Input: convstate.PairText(s.InH, s.InW),
		Kernel: convstate.PairText(s.KH, s.KW), Padding: convstate.PairText(s.PH, s.PW),
		CeilMode: s.CeilMode, CountIncludePad: !s.ExcludePad}
	if s.SH != 0 || s.SW != 0 {
		f.Stride = convstate.PairText(s.SH, s.SW)
	}
	f.Dilation = "1"
	if s.DH != 0 || s.DW != 0 {
		f.Dilation = convstate.PairText(max(s.DH, 1), max(s.DW, 1))
	}
	return f
}

// poolFormula is PyTorch's pooling output size along axis a with the
// numbers (floor, or ceil with ceil_mode and its last-window rule); the
// result is the engine's.
func poolFormula(p *conv.Pool, a int) string {
	i, o := p.InH, p.OutH
	if a == 1 {
		i, o = p.InW, p.OutW
	}
	k, s, pad, d := p.Kernel[a], p.Stride[a], p.Padding[a], p.Dilation[a]
	lo, hi := "⌊", "⌋"
	if p.CeilMode {
		lo, hi = "⌈", "⌉"
	}
	return fmt.Sprintf("o = %s(i + 2p − d(k − 1) − 1) / s%s + 1 = %s(%d + 2·%d − %d·(%d − 1) − 1) / %d%s + 1 = %d",
		lo, hi, lo, i, pad, d, k, s, hi, o)
}

// poolTorch is the nn.MaxPool2d / nn.AvgPool2d line of the state.
func poolTorch(s *convstate.PoolState, p *conv.Pool) string {
	tup := func(v [2]int) string {
		if v[0] == v[1] {
			return strconv.Itoa(v[0])
		}
		return fmt.Sprintf("(%d, %d)", v[0], v[1])
	}
	args := []string{"kernel_size=" + tup(p.Kernel)}
	if p.Stride != p.Kernel {
		args = append(args, "stride="+tup(p.Stride))
	}
	if p.Padding != [2]int{} {
		args = append(args, "padding="+tup(p.Padding))
	}
	if p.Dilation != [2]int{1, 1} {
		args = append(args, "dilation="+tup(p.Dilation))
	}
	if p.CeilMode {
		args = append(args, "ceil_mode=True")
	}
	name := "nn.MaxPool2d"
	if s.Op == convstate.OpAvgPool {
		name = "nn.AvgPool2d"
		if p.ExcludePad {
			args = append(args, "count_include_pad=False")
		}
	}
	return name + "(" + strings.Join(args, ", ") + ")"
}
