package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/convlab/convlab/animations"
	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/internal/convstate"
	"github.com/convlab/convlab/views"
	"github.com/labstack/echo/v4"
)

// poolAnimationFile is GET /animations/pool.gif and /animations/pool.png:
// a numbered max- or average-pooling animation for any configuration
// (animations.ParsePoolQuery: op, input, kernel, stride, padding,
// dilation, ceil_mode, count_include_pad). Errors are plain text.
func (a *app) poolAnimationFile(c echo.Context) error {
	p, err := animations.ParsePoolQuery(c.QueryParams())
	if err != nil {
		return animText(c, http.StatusBadRequest, err.Error())
	}
	render, ctype := animations.RenderPool, "image/gif"
	if strings.HasSuffix(c.Request().URL.Path, ".png") {
		render, ctype = animations.StillPool, "image/png"
	}
	b, err := render(p)
	if err != nil {
		if animations.IsUserError(err) {
			return animText(c, http.StatusBadRequest, err.Error())
		}
		return err
	}
	c.Response().Header().Set("Cache-Control", animMaxAge)
	return c.Blob(http.StatusOK, ctype, b)
}

// poolFormula is PyTorch's output size of a pooling along one axis, in
// general and with p's numbers (out is the engine's answer).
func poolFormula(p animations.PoolParams, axis, out int) views.AnimRelation {
	lo, hi := "⌊", "⌋"
	if p.CeilMode {
		lo, hi = "⌈", "⌉"
	}
	st, dil := p.Stride[axis], p.Dilation[axis]
	if st == 0 {
		st = p.Kernel[axis]
	}
	if dil == 0 {
		dil = 1
	}
	r := views.AnimRelation{
		Formula: fmt.Sprintf("o = %s(i + 2p − d·(k − 1) − 1) / s%s + 1", lo, hi),
		Filled: fmt.Sprintf("%s(%d + 2·%d − %d·(%d − 1) − 1) / %d%s + 1 = %d", lo, p.Input[axis], p.Padding[axis], dil,
			p.Kernel[axis], st, hi, out),
	}
	return r
}

// poolTorch is the PyTorch line of p.
func poolTorch(p animations.PoolParams) string {
	var args []string
	args = append(args, "kernel_size="+sizeTuple(p.Kernel))
	if p.Stride != [2]int{} {
		args = append(args, "stride="+sizeTuple(p.Stride))
	}
	if p.Padding != [2]int{} {
		args = append(args, "padding="+sizeTuple(p.Padding))
	}
	if p.Dilation != [2]int{} && p.Dilation != [2]int{1, 1} {
		args = append(args, "dilation="+sizeTuple(p.Dilation))
	}
	if p.CeilMode {
		args = append(args, "ceil_mode=True")
	}
	if p.ExcludePad {
		args = append(args, "count_include_pad=False")
	}
	name := "MaxPool2d"
	if p.Op == "avg" {
		name = "AvgPool2d"
	}
	return "nn." + name + "(" + strings.Join(args, ", ") + ")"
}

func sizeTuple(v [2]int) string {
	if v[0] == v[1] {
		return fmt.Sprint(v[0])
	}
	return fmt.Sprintf("(%d, %d)", v[0], v[1])
}

// poolCards are the gallery's pooling animations.
func poolCards(ctx context.Context) ([]views.AnimCard, error) {
	var out []views.AnimCard
	for _, n := range animations.ClassicPool {
		p := n.Params
		pl, err := p.Resolve()
		if err != nil {
			return nil, err
		}
		info, err := animations.MeasurePool(p)
		if err != nil {
			return nil, err
		}
		q := p.Query()
		kind := i18n.T(ctx, "anim.kind.maxpool")
		if p.Op == "avg" {
			kind = i18n.T(ctx, "anim.kind.avgpool")
		}
		card := views.AnimCard{
			ID: "anim-" + n.Name, Title: i18n.T(ctx, "anim.name."+n.Name), About: i18n.T(ctx, "anim.about."+n.Name),
			Kind: kind, GIF: "/animations/pool.gif?" + q, Still: "/animations/pool.png?" + q, Download: n.Name + ".gif",
			Width: info.Width, Height: info.Height,
			Frames: i18n.T(ctx, "anim.frames", info.Frames, info.Width, info.Height),
			Alt: i18n.T(ctx, "anim.alt_pool", strings.ToLower(kind), shapeText(p.Kernel[0], p.Kernel[1]),
				shapeText(p.Input[0], p.Input[1]), shapeText(pl.OutH, pl.OutW)),
		}
		vs := poolVisualizerState(p)
		card.ConvURL = vs.URL()
		card.Params = []views.AnimParam{
			{Label: "PyTorch", Value: poolTorch(p)},
			{Label: i18n.T(ctx, "anim.p.input"), Value: shapeText(p.Input[0], p.Input[1])},
			{Label: i18n.T(ctx, "anim.p.output"), Value: shapeText(pl.OutH, pl.OutW)},
		}
		h, w := poolFormula(p, 0, pl.OutH), poolFormula(p, 1, pl.OutW)
		if h.Filled == w.Filled {
			card.Relations = []views.AnimRelation{h}
		} else {
			h.Axis, w.Axis = "H", "W"
			card.Relations = []views.AnimRelation{h, w}
		}
		out = append(out, card)
	}
	return out, nil
}

// poolVisualizerState is a pooling animation's configuration in the
// pooling visualizer (/conv/pool), with the animation's own input.
func poolVisualizerState(p animations.PoolParams) convstate.PoolState {
	s := convstate.PoolState{Op: convstate.OpMaxPool, InH: p.Input[0], InW: p.Input[1], KH: p.Kernel[0], KW: p.Kernel[1],
		SH: p.Stride[0], SW: p.Stride[1], PH: p.Padding[0], PW: p.Padding[1], DH: p.Dilation[0], DW: p.Dilation[1],
		CeilMode: p.CeilMode, ExcludePad: p.ExcludePad, Step: 1, X: animations.PoolInput(p.Input[0], p.Input[1]), XSet: true}
	if p.Op == "avg" {
		s.Op = convstate.OpAvgPool
	}
	return s
}
