package convview

import (
	"fmt"
	"strings"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/internal/convstate"
	"github.com/convlab/convlab/views"
)

// One step written out: for the first paint (stepDetail) and for the
// script (scriptStep, every step of the trace).

// scriptStep writes one step out for the script (see Step).
func scriptStep(t func(string, ...any) string, s *convstate.State, g *conv.Geometry, st *conv.Step, n, count, ekh, ekw int) Step {
	d := stepDetail(t, s, st)
	out := Step{Index: fmt.Sprintf("%d / %d", n, count), Where: d.Where, Eq: d.Equation, Sum: d.Sum, Bias: d.Bias,
		F: st.OutChannel, Win: [4]int{st.WindowY, st.WindowY + ekh, st.WindowX, st.WindowX + ekw}}
	out.Ch = make([]string, s.Channels)
	for i, c := range st.Channels {
		out.Ch[c] = fmtNum(st.ChannelSums[i])
	}
	out.Taps = make([][]any, len(st.Taps))
	for i, tp := range st.Taps {
		a := []any{tp.C, tp.Y, tp.X, tp.KY, tp.KX, fmtNum(tp.Input), fmtNum(tp.Weight), fmtNum(tp.Product)}
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

// stepDetail writes one step out: every product, the per-channel sums,
// the bias and the total (all numbers from the engine's trace).
func stepDetail(t func(string, ...any) string, s *convstate.State, st *conv.Step) views.ConvDetail {
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
		for ti, tp := range st.Taps {
			if tp.C != c {
				continue
			}
			grp.Terms = append(grp.Terms, views.ConvTerm{X: fmtNum(tp.Input), W: fmtNum(tp.Weight), Product: fmtNum(tp.Product),
				Class: tp.Kind.String(), Tap: ti})
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
