package server

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/internal/convstate"
	"github.com/convlab/convlab/internal/explain"
	"github.com/convlab/convlab/internal/live"
	"github.com/convlab/convlab/views"
	"github.com/labstack/echo/v4"
)

// num formats an activation, weight or product for the explorer.
// A zero prints without its sign (a product 0 × −0.3 is −0 in IEEE 754).
func num(v float32) string {
	if v == 0 {
		v = 0
	}
	return strconv.FormatFloat(float64(v), 'f', 4, 32)
}

func torchShape(sh []int) string {
	s := "["
	for i, d := range sh {
		if i > 0 {
			s += ", "
		}
		s += strconv.Itoa(d)
	}
	return s + "]"
}

// networkView builds the page's view model.
func networkView(c echo.Context, s *netState, m *netModel, n *explain.Network, label int) views.NetworkView {
	ctx := c.Request().Context()
	vm := views.NetworkView{Messages: i18n.Messages(i18n.Lang(ctx), "network.js.")}
	switch {
	case s.Model == "live":
		vm.ModelLine = i18n.T(ctx, "network.model_live_step", m.step, n.Preset)
	case s.Model == "untrained":
		vm.ModelLine = i18n.T(ctx, "network.model_untrained_line", n.Preset)
	default:
		vm.ModelLine = i18n.T(ctx, "network.model_shipped_line", n.Preset)
	}
	switch {
	case s.Px != "":
		vm.InputLine = i18n.T(ctx, "network.input_drawn")
	case s.Digit >= 0:
		vm.InputLine = i18n.T(ctx, "network.input_digit", s.Digit, label)
	default:
		vm.InputLine = i18n.T(ctx, "network.input_default", label)
	}
	vm.Prediction = strconv.Itoa(n.Prediction())
	f := views.NetworkForm{Model: s.Model, Preset: s.Preset, Layer: s.Layer, Hidden: map[string]string{}}
	if s.Digit >= 0 {
		f.Digit = strconv.Itoa(s.Digit)
	}
	if s.Px != "" {
		f.Hidden["px"] = s.Px
	}
	if s.Layer != "" {
		f.C, f.Y, f.X = strconv.Itoa(s.C), strconv.Itoa(s.Y), strconv.Itoa(s.X)
	}
	for _, mo := range []string{"shipped", "live", "untrained"} {
		f.Models = append(f.Models, views.NetworkOption{Value: mo, Label: i18n.T(ctx, "network.model_"+mo), Selected: mo == s.Model})
	}
	for _, p := range []string{"reference", "small"} {
		f.Presets = append(f.Presets, views.NetworkOption{Value: p, Label: i18n.T(ctx, "train.net."+p), Selected: p == s.Preset})
	}
	for _, l := range n.Layers {
		// Layers named by a word have a label in the reader's language
		// (conv1, relu2, ... stay as the network calls them).
		label := l.Name
		if k := "network.layer_label." + l.Name; i18n.T(ctx, k) != k {
			label = i18n.T(ctx, k)
		}
		f.Layers = append(f.Layers, views.NetworkOption{Value: l.Name, Label: label, Selected: l.Name == s.Layer})
	}
	vm.Form = f
	base := *s
	base.Layer = ""
	vm.Data.Base = "/network?" + base.values(false).Encode()
	if s.Layer != "" {
		vm.Data.Selected = &views.NetworkSel{Layer: s.Layer, C: s.C, Y: s.Y, X: s.X}
	}
	for i := range n.Layers {
		l := &n.Layers[i]
		col := views.NetworkColumn{Name: l.Name, Kind: l.Kind, Module: l.Module, Shape: torchShape(l.Shape()),
			Note: i18n.T(ctx, "network.note."+l.Kind), Count: l.C}
		switch l.Kind {
		case "input", "conv", "relu", "maxpool":
			col.Maps = true
			col.Label = i18n.T(ctx, "network.maps_label", l.Name, l.C, l.H, l.W)
			var mp live.Map
			if l.Kind == "conv" {
				mp = live.QuantizeSigned(l.Name, l.C, l.H, l.W, l.Data)
			} else {
				mp = live.QuantizeUnsigned(l.Name, l.C, l.H, l.W, l.Data)
			}
			vm.Data.Maps = append(vm.Data.Maps, views.NetworkMap{Layer: l.Name, C: l.C, H: l.H, W: l.W, Signed: mp.Signed, Data: mp.Data})
		case "linear":
			for d := range l.C {
				vm.Logits = append(vm.Logits, views.NetworkBar{Digit: d, Value: num(l.Data[d]),
					URL: s.cellURL("linear", d, 0, 0, 0), Selected: s.Layer == "linear" && s.C == d})
			}
		case "softmax":
			top := n.Prediction()
			for d := range l.C {
				p := l.Data[d]
				vm.Probs = append(vm.Probs, views.NetworkBar{Digit: d, Value: num(p),
					Percent: strconv.FormatFloat(float64(p)*100, 'f', 1, 64) + "%",
					Width:   strconv.Itoa(int(p*20+0.5) * 5), URL: s.cellURL("softmax", d, 0, 0, 0),
					Selected: s.Layer == "softmax" && s.C == d, Top: d == top})
			}
		}
		vm.Columns = append(vm.Columns, col)
	}
	vm.DrawURL = "/draw"
	vm.RandomURL = "/network/random-miss"
	if s.Model != "shipped" {
		vm.RandomURL += "?" + (&netState{Model: s.Model, Preset: s.Preset, Digit: -1}).values(false).Encode()
	}
	return vm
}

// cellView builds one cell's explanation.
func cellView(c echo.Context, s *netState, m *netModel, n *explain.Network, cell *explain.Cell) *views.NetworkCell {
	ctx := c.Request().Context()
	l := cell.Layer
	v := &views.NetworkCell{Kind: l.Kind, Value: num(cell.Value)}
	if s.Model == "live" {
		// The live model changes: say which snapshot these numbers are from.
		v.Snapshot = i18n.T(ctx, "network.cell_snapshot", m.step)
	}
	flat := l.Kind == "flatten" || l.Kind == "linear" || l.Kind == "softmax"
	if flat {
		v.Title = fmt.Sprintf("%s[0, %d]", l.Name, cell.C)
	} else {
		v.Title = fmt.Sprintf("%s[0, %d, %d, %d]", l.Name, cell.C, cell.Y, cell.X)
		move := func(key string, dy, dx int) views.NetworkLink {
			y, x := cell.Y+dy, cell.X+dx
			lk := views.NetworkLink{Label: i18n.T(ctx, "network.move."+key), Title: i18n.T(ctx, "network.move_title."+key)}
			if y < 0 || y >= l.H || x < 0 || x >= l.W {
				lk.Disabled = true
			} else {
				lk.URL = s.cellURL(l.Name, cell.C, y, x, s.Step)
			}
			return lk
		}
		v.Nav = []views.NetworkLink{move("left", 0, -1), move("up", -1, 0), move("down", 1, 0), move("right", 0, 1)}
		// Through the map's positions in reading order, like /conv's steps.
		at := cell.Y*l.W + cell.X
		v.PrevCell = views.NetworkLink{Label: i18n.T(ctx, "network.prev_cell"), Disabled: at == 0}
		v.NextCell = views.NetworkLink{Label: i18n.T(ctx, "network.next_cell"), Disabled: at == l.H*l.W-1}
		if at > 0 {
			v.PrevCell.URL = s.cellURL(l.Name, cell.C, (at-1)/l.W, (at-1)%l.W, s.Step)
		}
		if at < l.H*l.W-1 {
			v.NextCell.URL = s.cellURL(l.Name, cell.C, (at+1)/l.W, (at+1)%l.W, s.Step)
		}
		v.Position = i18n.T(ctx, "network.position", at+1, l.H*l.W)
	}
	switch {
	case cell.Input != nil:
		v.Summary = i18n.T(ctx, "network.cell.input")
	case cell.Conv != nil:
		cc := cell.Conv
		st := cc.Step
		k := len(st.Channels)
		ch := min(s.Step, k-1)
		kh, kw := cc.Geometry.KernelSize[0], cc.Geometry.KernelSize[1]
		nc := &views.NetworkConv{From: cc.From.Name, Channel: st.Channels[ch], Bias: num(st.Bias), Total: num(st.Sum),
			ChanSum: num(st.ChannelSums[ch]), HasReLU: cc.ReLU != nil, ReLU: num(cc.After), Kept: cc.After > 0,
			StepLabel: i18n.T(ctx, "network.conv.step", ch+1, k)}
		nc.Prev = views.NetworkLink{Label: i18n.T(ctx, "network.conv.prev"), Disabled: ch == 0}
		nc.Next = views.NetworkLink{Label: i18n.T(ctx, "network.conv.next"), Disabled: ch == k-1}
		if ch > 0 {
			nc.Prev.URL = s.cellURL(l.Name, cell.C, cell.Y, cell.X, ch-1)
		}
		if ch < k-1 {
			nc.Next.URL = s.cellURL(l.Name, cell.C, cell.Y, cell.X, ch+1)
		}
		nc.Window, nc.Kernel, nc.Products = grid(kh, kw), grid(kh, kw), grid(kh, kw)
		for _, t := range st.Taps[ch*kh*kw : (ch+1)*kh*kw] {
			pad := t.SrcY < 0
			nc.Window[t.WY][t.WX] = views.NetworkNum{Text: num(t.Input), Pad: pad}
			nc.Kernel[t.WY][t.WX] = views.NetworkNum{Text: num(t.Weight)}
			nc.Products[t.WY][t.WX] = views.NetworkNum{Text: num(t.Product), Pad: pad}
		}
		for i, cs := range st.ChannelSums {
			nc.Channels = append(nc.Channels, views.NetworkPart{Channel: st.Channels[i], Sum: num(cs),
				URL: s.cellURL(l.Name, cell.C, cell.Y, cell.X, i), Selected: i == ch})
		}
		nc.Visualizer, nc.VisualizerPart = convVisualizerURL(cc, ch)
		nc.Backward = s.backwardURL(l.Name, cell.C, st.Channels[ch])
		v.Conv = nc
		v.Summary = i18n.T(ctx, "network.cell.conv", cc.From.Name, k, kh, kw)
	case cell.ReLU != nil:
		rc := cell.ReLU
		v.ReLU = &views.NetworkReLU{In: num(rc.In), Kept: rc.In > 0, URL: s.cellURL(rc.From.Name, cell.C, cell.Y, cell.X, 0)}
		v.Summary = i18n.T(ctx, "network.cell.relu")
	case cell.Pool != nil:
		pc := cell.Pool
		st := pc.Step
		np := &views.NetworkPool{From: pc.From.Name, Max: num(st.Value), ArgY: st.ArgY, ArgX: st.ArgX}
		kh, kw := pc.Pool.Kernel[0], pc.Pool.Kernel[1]
		np.Window = make([][]views.NetworkPoolCell, kh)
		for i, t := range st.Taps {
			pcv := views.NetworkPoolCell{Text: num(t.Value), Y: t.Y, X: t.X, Winner: i == st.Arg}
			if t.Inside {
				pcv.URL = s.cellURL(pc.From.Name, cell.C, t.Y, t.X, 0)
			}
			np.Window[t.WY] = append(np.Window[t.WY], pcv)
		}
		_ = kw
		np.Visualizer = poolVisualizerURL(pc)
		v.Pool = np
		v.Summary = i18n.T(ctx, "network.cell.pool", kh, kw, pc.From.Name)
	case cell.Flatten != nil:
		fc := cell.Flatten
		v.Source = &views.NetworkLink{Label: fmt.Sprintf("%s[0, %d, %d, %d]", fc.From.Name, fc.C, fc.Y, fc.X),
			URL: s.cellURL(fc.From.Name, fc.C, fc.Y, fc.X, 0)}
		v.Summary = i18n.T(ctx, "network.cell.flatten")
	case cell.Logit != nil:
		lc := cell.Logit
		nl := &views.NetworkLogit{Class: lc.Class, Rest: num(lc.Rest), Count: lc.Count, Others: lc.Count - len(lc.Top),
			Bias: num(lc.Bias), Sum: num(lc.Sum)}
		for _, t := range lc.Top {
			nl.Top = append(nl.Top, views.NetworkTerm{Where: fmt.Sprintf("%s[0, %d, %d, %d]", lc.From.Name, t.C, t.Y, t.X),
				URL: s.cellURL(lc.From.Name, t.C, t.Y, t.X, 0), Input: num(t.Input), Weight: num(t.Weight), Product: num(t.Product)})
		}
		hm := live.QuantizeSigned("heat", lc.From.C, lc.From.H, lc.From.W, lc.Heat)
		nl.Heat = views.NetworkMap{Layer: "heat", C: hm.C, H: hm.H, W: hm.W, Signed: true, Data: hm.Data}
		v.Logit = nl
		v.Summary = i18n.T(ctx, "network.cell.logit", lc.Class, lc.Count, lc.From.Name)
	case cell.Softmax != nil:
		sc := cell.Softmax
		ns := &views.NetworkSoftmax{Max: num(sc.Max), Sum: strconv.FormatFloat(sc.Sum, 'g', 6, 64), Class: sc.Class}
		for d := range sc.Logits {
			ns.Rows = append(ns.Rows, views.NetworkSoftmaxRow{Digit: d, Logit: num(sc.Logits[d]),
				Exp: strconv.FormatFloat(sc.Exps[d], 'g', 6, 64), Prob: num(sc.Probs[d]), Selected: d == sc.Class})
		}
		v.Softmax = ns
		v.Summary = i18n.T(ctx, "network.cell.softmax")
	}
	return v
}

func grid(h, w int) [][]views.NetworkNum {
	g := make([][]views.NetworkNum, h)
	for i := range g {
		g[i] = make([]views.NetworkNum, w)
	}
	return g
}

// convVisualizerURL is the /conv URL (written by internal/convstate, the
// only writer of /conv URLs) of input channel ch of a conv cell: that
// channel's whole map of the layer's input, its kernel, the layer's
// padding, and the step of the same output cell. With one input channel
// (conv1) the bias goes along, so /conv shows the map's value; otherwise
// /conv shows this channel's partial sum (part is true). "" when the
// visualizer's bounds do not allow it.
func convVisualizerURL(cc *explain.ConvCell, ch int) (u string, part bool) {
	g, st := cc.Geometry, cc.Step
	from := cc.From
	c := st.Channels[ch]
	s := convstate.Configure([2]int{from.H, from.W}, g.KernelSize, g.Stride, g.Padding, g.Dilation)
	s.X = append([]float32(nil), from.Data[c*from.H*from.W:(c+1)*from.H*from.W]...)
	kh, kw := g.KernelSize[0], g.KernelSize[1]
	s.W = make([]float32, kh*kw)
	for _, t := range st.Taps[ch*kh*kw : (ch+1)*kh*kw] {
		s.W[t.KY*kw+t.KX] = t.Weight
	}
	s.XSet, s.WSet = true, true
	part = len(st.Channels) > 1
	if !part {
		s.Bias, s.BSet, s.B = true, true, []float32{st.Bias}
	}
	s.Step = st.OutY*g.OutW + st.OutX + 1
	if _, err := s.Resolve(); err != nil {
		return "", part
	}
	return s.URL(), part
}

// backwardURL is the /conv/backward page (issue 14) of filter f of conv
// layer name ("conv1", "conv2") on input channel ch, with dY from the
// loss of this model and input (the true label, else the prediction).
func (s *netState) backwardURL(name string, f, ch int) string {
	layer := strings.TrimPrefix(name, "conv")
	v := (&netState{Model: s.Model, Preset: s.Preset, Digit: s.Digit, Px: s.Px}).values(false)
	v.Set("grad", "loss")
	v.Set("layer", layer)
	v.Set("filter", strconv.Itoa(f+1))
	v.Set("channel", strconv.Itoa(ch+1))
	return "/conv/backward?" + v.Encode()
}

// poolVisualizerURL is the /conv/pool URL (written by internal/convstate)
// of a max-pool cell: the channel's whole input map, the layer's pooling,
// at the step of the same output cell; "" when the bounds do not allow it.
func poolVisualizerURL(pc *explain.PoolCell) string {
	p, st, from := pc.Pool, pc.Step, pc.From
	c := st.Channel
	s := convstate.PoolState{Op: convstate.OpMaxPool, InH: from.H, InW: from.W, KH: p.Kernel[0], KW: p.Kernel[1],
		SH: p.Stride[0], SW: p.Stride[1], PH: p.Padding[0], PW: p.Padding[1], DH: p.Dilation[0], DW: p.Dilation[1],
		CeilMode: p.CeilMode, X: append([]float32(nil), from.Data[c*from.H*from.W:(c+1)*from.H*from.W]...), XSet: true,
		Step: st.OutY*p.OutW + st.OutX + 1}
	if _, err := s.Resolve(); err != nil {
		return ""
	}
	return s.URL()
}
