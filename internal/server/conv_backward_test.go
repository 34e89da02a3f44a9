package server

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/internal/convstate"
	"github.com/convlab/convlab/mnist"
)

// TestBackwardViewSumsAreTheEngine: for the lesson's 5×5 example (and a
// strided, padded one) every step's sum is conv.BackwardNaive's gradient,
// in every phase and for both upstream gradients.
func TestBackwardViewSumsAreTheEngine(t *testing.T) {
	for _, query := range []string{
		"preset=lesson-5x5",
		"input=5x5&kernel=3x3&stride=2x2&padding=1x1&mode=reflect&bias=1",
		"input=4x4&kernel=3x3&stride=2x2&transposed=1",
	} {
		for _, grad := range []string{"ones", "random"} {
			q, _ := url.ParseQuery(query + "&grad=" + grad + "&seed=5")
			l, err := backwardLayer(q)
			if err != nil {
				t.Fatalf("%s: %v", query, err)
			}
			g := l.g
			dx, dw, db := make([]float32, g.XLen(1)), make([]float32, g.WeightLen()), make([]float32, g.OutChannels)
			var dy []float32
			for _, phase := range []string{"dw", "dx", "db"} {
				q.Set("phase", phase)
				vm, status := buildBackwardView("en", q, nil)
				if status != 200 || !vm.OK {
					t.Fatalf("%s %s: %d %s", query, phase, status, vm.Error)
				}
				if dy == nil {
					for _, grid := range vm.DY {
						for _, row := range grid.Rows {
							for _, c := range row {
								dy = append(dy, parseF(t, c.Text))
							}
						}
					}
					conv.BackwardNaive(g, dx, dw, db, dy, l.x, l.w, 1)
				}
				want := map[string][]float32{"dw": dw, "dx": dx, "db": db}[phase]
				if len(vm.Data.Steps) != len(want) {
					t.Fatalf("%s %s: %d steps for %d gradients", query, phase, len(vm.Data.Steps), len(want))
				}
				for i, st := range vm.Data.Steps {
					if st.Sum != fmtBW(want[i]) || !strings.HasSuffix(st.Eq, "= "+fmtBW(want[i])) && phase != "dx" {
						t.Fatalf("%s %s step %d: sum %s (%s), Backward %s", query, phase, i+1, st.Sum, st.Eq, fmtBW(want[i]))
					}
					if st.Narr == "" || len(st.HL) == 0 && phase != "dx" {
						t.Fatalf("%s %s step %d: no narration or highlight", query, phase, i+1)
					}
				}
			}
		}
	}
}

func parseF(t *testing.T, s string) float32 {
	t.Helper()
	var f float32
	if _, err := fmt.Sscan(s, &f); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return f
}

// TestBackwardPageRefuses: bad parameters of the page are a 400 that says
// what is wrong, in the reader's language.
func TestBackwardPageRefuses(t *testing.T) {
	_, srv := newTestServer(t)
	for _, tc := range []struct{ query, en, ko string }{
		{"preset=lesson-5x5&grad=zeros", "must be &#34;ones&#34; or &#34;random&#34;", "입력한 값"},
		{"preset=lesson-5x5&lr=5", "learning rate", "학습률"},
		{"preset=lesson-5x5&phase=dz", "dw, dx or db", "dw, dx, db"},
		{"input=32x32&kernel=7x7&stride=8x8&channels=4&filters=4", "products to show", "곱이"},
	} {
		for lang, want := range map[string]string{"en": tc.en, "ko": tc.ko} {
			resp, body := get(t, nil, srv.URL+"/conv/backward?"+tc.query+"&lang="+lang)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, want) {
				t.Errorf("%s (%s): %d, want 400 saying %q", tc.query, lang, resp.StatusCode, want)
			}
		}
	}
	resp, body := get(t, nil, srv.URL+"/conv/backward?preset=lesson-5x5")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="backward-data"`) {
		t.Fatalf("lesson: %d", resp.StatusCode)
	}
}

// TestConvLinksToBackward: /conv links to the backward pass of the same
// layer, and that page links back.
func TestConvLinksToBackward(t *testing.T) {
	_, srv := newTestServer(t)
	_, page := get(t, nil, srv.URL+"/conv?preset=lesson-5x5")
	i := strings.Index(page, `data-testid="conv-backward-link"`)
	if i < 0 {
		t.Fatal("/conv has no link to the backward pass")
	}
	j := strings.LastIndex(page[:i], `href="`)
	href := strings.ReplaceAll(page[j+len(`href="`):strings.Index(page[j+len(`href="`):], `"`)+j+len(`href="`)], "&amp;", "&")
	if !strings.HasPrefix(href, "/conv/backward?") {
		t.Fatalf("link %q", href)
	}
	resp, body := get(t, nil, srv.URL+href)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="bw-back"`) || !strings.Contains(body, "backward-data") {
		t.Fatalf("%s: %d", href, resp.StatusCode)
	}
}

// TestBackwardFromARealLoss: grad=loss shows one filter of the shipped
// network on the lesson's digit with the real ∂loss/∂output; its dW and db
// sums are the network's own gradients (mnist.Net.Backprop, held to
// PyTorch by mnist's real-step test), for conv1 and conv2.
func TestBackwardFromARealLoss(t *testing.T) {
	p, _ := convstate.PresetByName("lesson-mnist")
	for _, tc := range []struct{ layer, filter, channel, label, seq int }{{1, 5, 1, 7, 0}, {2, 3, 17, 2, 3}} {
		bp := mnist.Shipped().Backprop(p.State().X, []uint8{uint8(tc.label)})
		lp := bp.Layers[tc.seq]
		g := lp.Geometry
		kk := g.KernelSize[0] * g.KernelSize[1]
		wi := ((tc.filter-1)*g.InChannels + tc.channel - 1) * kk
		for _, phase := range []string{"dw", "db"} {
			q := url.Values{"grad": {"loss"}, "layer": {strconv.Itoa(tc.layer)}, "filter": {strconv.Itoa(tc.filter)},
				"channel": {strconv.Itoa(tc.channel)}, "label": {strconv.Itoa(tc.label)}, "phase": {phase}}
			vm, status := buildBackwardView("en", q, nil)
			if status != 200 || !vm.OK || vm.LossNote == "" {
				t.Fatalf("%+v %s: %d %s", tc, phase, status, vm.Error)
			}
			want := lp.GradWeight[wi : wi+kk]
			if phase == "db" {
				want = lp.GradBias[tc.filter-1 : tc.filter]
			}
			if len(vm.Data.Steps) != len(want) {
				t.Fatalf("%+v %s: %d steps, want %d", tc, phase, len(vm.Data.Steps), len(want))
			}
			for i, st := range vm.Data.Steps {
				if got := parseF(t, st.Sum); math.Abs(float64(got-want[i])) > 1e-3*math.Abs(float64(want[i]))+1e-9 {
					t.Errorf("%+v %s step %d: shows %s, the network's gradient is %g", tc, phase, i+1, st.Sum, want[i])
				}
			}
		}
	}
	for _, q := range []string{"grad=loss&layer=3", "grad=loss&filter=33", "grad=loss&layer=1&channel=2", "grad=loss&label=10"} {
		v, _ := url.ParseQuery(q)
		if vm, status := buildBackwardView("en", v, nil); status != 400 || vm.Error == "" {
			t.Errorf("%s: %d %q, want 400 with a reason", q, status, vm.Error)
		}
	}
}

// TestNetworkOpensBackward: a conv cell of /network links to its filter's
// backward pass from a real loss, for the same model and input, and that
// page's dW is the network's gradient for that filter and channel.
func TestNetworkOpensBackward(t *testing.T) {
	_, srv := newTestServer(t)
	_, page := get(t, nil, srv.URL+"/network?layer=conv2&c=4&y=3&x=5&step=2")
	i := strings.Index(page, `data-testid="net-backward"`)
	if i < 0 {
		t.Fatal("/network's conv cell has no backward link")
	}
	j := strings.LastIndex(page[:i], `href="`) + len(`href="`)
	href := strings.ReplaceAll(page[j:j+strings.Index(page[j:], `"`)], "&amp;", "&")
	u, err := url.Parse(href)
	if err != nil || u.Path != "/conv/backward" || u.Query().Get("layer") != "2" || u.Query().Get("filter") != "5" || u.Query().Get("channel") != "3" {
		t.Fatalf("link %q", href)
	}
	resp, body := get(t, nil, srv.URL+href)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="bw-loss-note"`) {
		t.Fatalf("%s: %d", href, resp.StatusCode)
	}
	// The built-in digit is MNIST test image 0, a 7: the loss uses label 7.
	if !strings.Contains(body, `name="label" id="bw-label" min="0" step="1" value="7"`) {
		t.Errorf("%s: the label is not the digit's true label 7", href)
	}
}

// TestBackwardLinksAnimation: dX of a strided Conv2d links to the same
// transposed convolution on /animations, which draws it.
func TestBackwardLinksAnimation(t *testing.T) {
	_, srv := newTestServer(t)
	_, page := get(t, nil, srv.URL+"/conv/backward?preset=stride&phase=dx")
	i := strings.Index(page, `data-testid="bw-anim"`)
	if i < 0 {
		t.Fatal("no animation link for dX of a strided convolution")
	}
	j := strings.LastIndex(page[:i], `href="`) + len(`href="`)
	href := strings.ReplaceAll(page[j:j+strings.Index(page[j:], `"`)], "&amp;", "&")
	u, _ := url.Parse(href)
	if u.Path != "/animations" || u.Query().Get("transposed") != "1" || u.Query().Get("stride") != "2x2" || u.Query().Get("input") != "2x2" {
		t.Fatalf("link %q", href)
	}
	// The page draws it (a preview card), without refusing it.
	resp, body := get(t, nil, srv.URL+href)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `class="anim-preview"`) || strings.Contains(body, `data-testid="anim-error"`) {
		t.Fatalf("%s: %d, preview %v", href, resp.StatusCode, strings.Contains(body, "anim-preview"))
	}
}

// BenchmarkBackwardPage builds /conv/backward for the lesson's MNIST digit
// (28×28, 3×3), each phase, and reports the page's size.
func BenchmarkBackwardPage(b *testing.B) {
	_, srv := newTestServer(b)
	for _, phase := range []string{"dw", "dx", "db"} {
		b.Run(phase, func(b *testing.B) {
			b.ReportAllocs()
			var n int
			for b.Loop() {
				resp, body := get(b, nil, srv.URL+"/conv/backward?preset=lesson-mnist&grad=random&phase="+phase)
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%d", resp.StatusCode)
				}
				n = len(body)
			}
			b.ReportMetric(float64(n)/1024, "KB/page")
		})
	}
}

// TestNetworkCellGradient: a /network cell says the gradient of the loss
// at it, Backprop's number for the true label; a ReLU cell that is not
// its pooling window's maximum gets 0 (the pooling routes nothing to it).
func TestNetworkCellGradient(t *testing.T) {
	_, srv := newTestServer(t)
	pix, label, _ := convstate.MNISTDigit()
	set := mnist.Set{N: 1, Pix: pix[:], Labels: []uint8{uint8(label)}}
	bp := mnist.Shipped().Backprop(set.Image(0), []uint8{uint8(label)})
	for _, tc := range []struct {
		query string
		seq   int
		i     int
	}{
		{"layer=conv2&c=4&y=3&x=5", 3, (4*14+3)*14 + 5},
		{"layer=linear&c=3", 7, 3},
		{"layer=pool2&c=10&y=2&x=4", 5, (10*7+2)*7 + 4},
	} {
		_, body := get(t, nil, srv.URL+"/network/cell?"+tc.query)
		want := fmtBW(bp.Layers[tc.seq].GradOut[tc.i])
		if !strings.Contains(body, `data-testid="net-grad"`) || !strings.Contains(body, ": "+want+".") {
			t.Errorf("%s: the cell does not say the gradient %s", tc.query, want)
		}
	}
	// relu1: a cell that is not its 2×2 window's maximum gets no gradient.
	relu := bp.Layers[1]
	for y := 0; y < 28; y += 2 {
		for x := 0; x < 28; x += 2 {
			best, at := float32(-1), -1
			for _, o := range [][2]int{{0, 0}, {0, 1}, {1, 0}, {1, 1}} {
				if v := relu.Out[(y+o[0])*28+x+o[1]]; v > best {
					best, at = v, (y+o[0])*28+x+o[1]
				}
			}
			for _, o := range [][2]int{{0, 0}, {0, 1}, {1, 0}, {1, 1}} {
				if j := (y+o[0])*28 + x + o[1]; j != at && relu.GradOut[j] != 0 {
					t.Fatalf("relu1 (%d,%d) is not its window's maximum, yet gets gradient %v", y+o[0], x+o[1], relu.GradOut[j])
				}
			}
		}
	}
	if _, body := get(t, nil, srv.URL+"/network/cell?layer=softmax&c=7"); strings.Contains(body, `data-testid="net-grad"`) {
		t.Error("the softmax cell claims a gradient Backprop does not compute")
	}
}

// TestGradCache: the cache answers Backprop's gradients, keyed on the
// network, the input's bits and the label, and keeps at most
// gradCacheSize entries.
func TestGradCache(t *testing.T) {
	c := &gradCache{seed: netGrads.seed}
	net := mnist.Shipped()
	pix, _, _ := convstate.MNISTDigit()
	set := mnist.Set{N: 1, Pix: pix[:], Labels: []uint8{0}}
	img := set.Image(0)
	for _, label := range []int{7, 3} {
		g, loss := c.get(net, img, label)
		bp := net.Backprop(img, []uint8{uint8(label)})
		if loss != bp.Loss || g[3][100] != bp.Layers[3].GradOut[100] {
			t.Fatalf("label %d: cached %v / %v, Backprop %v / %v", label, loss, g[3][100], bp.Loss, bp.Layers[3].GradOut[100])
		}
		if g2, _ := c.get(net, img, label); &g2[3][0] != &g[3][0] {
			t.Fatalf("label %d: the second call ran Backprop again", label)
		}
	}
	other := append([]float32(nil), img...)
	other[300] += 0.5
	c.get(net, other, 7)
	if len(c.entries) != 3 {
		t.Fatalf("another input did not get its own entry: %d entries", len(c.entries))
	}
	for l := range gradCacheSize + 5 {
		c.get(net, img, l%10)
	}
	if len(c.entries) > gradCacheSize {
		t.Fatalf("%d entries", len(c.entries))
	}
}
