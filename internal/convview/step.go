package convview

import (
	"fmt"
	"strings"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/internal/convstate"
	"github.com/convlab/convlab/views"
)

// One step written out, once (writeStep), for the first paint
// (stepDetail) and for the script (scriptStep, every step of the trace).

// stepText is a step's numbers and sentences, formatted.
type stepText struct {
	where, eq, sum, bias string   // bias "" without bias
	x, w, p              []string // per tap: input, weight, product
	chSum                []string // per entry of Step.Channels
}

// writeStep formats st: every product, the per-channel sums, the bias and
// the total (all numbers from the engine's trace), and the equation.
func writeStep(t func(string, ...any) string, s *convstate.State, st *conv.Step) stepText {
	d := stepText{sum: fmtNum(st.Sum), x: make([]string, len(st.Taps)), w: make([]string, len(st.Taps)),
		p: make([]string, len(st.Taps)), chSum: make([]string, len(st.Channels))}
	if s.Filters > 1 {
		d.where = t("conv.where_filter", st.OutY+1, st.OutX+1, st.OutChannel+1)
	} else {
		d.where = t("conv.where", st.OutY+1, st.OutX+1)
	}
	for i, tp := range st.Taps {
		d.x[i], d.w[i], d.p[i] = fmtNum(tp.Input), fmtNum(tp.Weight), fmtNum(tp.Product)
	}
	multi := len(st.Channels) > 1
	var eq strings.Builder
	term := func() {
		if eq.Len() > 0 {
			eq.WriteString(" + ")
		}
	}
	for i, c := range st.Channels {
		d.chSum[i] = fmtNum(st.ChannelSums[i])
		if multi && len(st.Taps) > 27 { // too long: the channels' sums
			term()
			eq.WriteString(paren(d.chSum[i]))
			continue
		}
		if multi {
			term()
			eq.WriteString("(")
		}
		first := true
		for ti, tp := range st.Taps {
			if tp.C != c {
				continue
			}
			if !multi || !first {
				term()
			}
			first = false
			eq.WriteString(d.x[ti] + "×" + paren(d.w[ti]))
		}
		if multi {
			eq.WriteString(")")
		}
	}
	if s.Bias {
		d.bias = fmtNum(st.Bias)
		eq.WriteString(" + " + paren(d.bias))
	}
	d.eq = eq.String() + " = " + d.sum
	return d
}

// stepDetail is the step as "This step" shows it on the first paint.
func stepDetail(t func(string, ...any) string, s *convstate.State, st *conv.Step) views.ConvDetail {
	w := writeStep(t, s, st)
	d := views.ConvDetail{Where: w.where, Sum: w.sum, Bias: w.bias, Equation: w.eq}
	for i, c := range st.Channels {
		grp := views.ConvTermGroup{Sum: w.chSum[i]}
		if len(st.Channels) > 1 {
			grp.Label = t("conv.channel", c+1)
		}
		for ti, tp := range st.Taps {
			if tp.C == c {
				grp.Terms = append(grp.Terms, views.ConvTerm{X: w.x[ti], W: w.w[ti], Product: w.p[ti], Class: tp.Kind.String(), Tap: ti})
			}
		}
		d.Groups = append(d.Groups, grp)
	}
	return d
}

// scriptStep is the step for the script (see Step).
func scriptStep(t func(string, ...any) string, s *convstate.State, g *conv.Geometry, st *conv.Step, n, count, ekh, ekw int) Step {
	w := writeStep(t, s, st)
	out := Step{StepText: views.StepText{Index: fmt.Sprintf("%d / %d", n, count), Where: w.where, Eq: w.eq, Sum: w.sum}, Bias: w.bias,
		F: st.OutChannel, Win: [4]int{st.WindowY, st.WindowY + ekh, st.WindowX, st.WindowX + ekw}}
	out.Ch = make([]string, s.Channels)
	for i, c := range st.Channels {
		out.Ch[c] = w.chSum[i]
	}
	out.Taps = make([][]any, len(st.Taps))
	for i, tp := range st.Taps {
		a := []any{tp.C, tp.Y, tp.X, tp.KY, tp.KX, w.x[i], w.w[i], w.p[i]}
		switch tp.Kind {
		case conv.Real:
		case conv.CopyPad:
			a = append(a, tp.Kind.String(), tp.SrcY+g.PadTop, tp.SrcX+g.PadLeft)
		default:
			a = append(a, tp.Kind.String())
		}
		out.Taps[i] = a
	}
	return out
}
