package server

import (
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/internal/convstate"
	"github.com/convlab/convlab/internal/convview"
	"github.com/convlab/convlab/internal/explain"
	"github.com/convlab/convlab/mnist"
)

func TestNetworkPage(t *testing.T) {
	_, srv := newTestServer(t)
	c := srv.Client()
	res, body := get(t, c, srv.URL+"/network")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /network: %d\n%s", res.StatusCode, body)
	}
	for _, want := range []string{"[1, 32, 28, 28]", "[1, 64, 14, 14]", "[1, 64, 7, 7]", "[1, 3136]", "[1, 10]",
		"Conv2d(1, 32, kernel_size=(3, 3), padding=(1, 1))", "MaxPool2d(kernel_size=2)", `id="network-data"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/network does not show %q", want)
		}
	}
	// Every kind of cell explains itself, in the page and as a fragment.
	for _, q := range []string{"layer=conv2&c=5&y=7&x=7&step=3", "layer=pool1&c=0&y=3&x=4", "layer=relu1&c=2&y=10&x=10",
		"layer=linear&c=7", "layer=softmax&c=7", "layer=flatten&c=100", "layer=input&c=0&y=14&x=14",
		"layer=conv1&c=31&y=27&x=27", "model=untrained&preset=small&layer=conv2&c=15&y=13&x=0"} {
		res, page := get(t, c, srv.URL+"/network?"+q)
		if res.StatusCode != http.StatusOK || !strings.Contains(page, `data-testid="net-cell"`) {
			t.Errorf("/network?%s: %d, explanation shown: %v", q, res.StatusCode, strings.Contains(page, "net-cell"))
		}
		res, frag := get(t, c, srv.URL+"/network/cell?"+q)
		if res.StatusCode != http.StatusOK || strings.Contains(frag, "<html") || !strings.Contains(frag, `data-testid="net-cell"`) {
			t.Errorf("/network/cell?%s: %d\n%.300s", q, res.StatusCode, frag)
		}
		if len(frag) > 50<<10 {
			t.Errorf("/network/cell?%s: %d bytes, more than 50 KB", q, len(frag))
		}
	}
}

func TestNetworkBadInput(t *testing.T) {
	_, srv := newTestServer(t)
	c := srv.Client()
	for _, tc := range []struct {
		q, want string
		status  int
	}{
		{"model=best", "no model called", 400},
		{"digit=10000", "0 to 9999", 400},
		{"digit=-1", "0 to 9999", 400},
		{"layer=conv7", "no layer called", 400},
		{"layer=conv2&c=64", "between 0 and 63", 400},
		{"layer=pool2&c=0&y=7", "between 0 and 6", 400},
		{"layer=softmax&c=10", "between 0 and 9", 400},
		{"layer=conv1&x=abc", "whole number", 400},
		{"c=3", "needs a layer", 400},
		{"px=abc", "characters", 400},
		{"px=" + strings.Repeat("!", netPxByteLen), "damaged", 400},
		{"preset=small", "Only the untrained model", 400},
		{"model=untrained&preset=big", "reference or small", 400},
		{"model=live", "No training run yet", 409},
		{"digit=1&digit=2", "more than once", 400},
	} {
		for _, path := range []string{"/network?", "/network/cell?layer=input&"} {
			if strings.HasPrefix(path, "/network/cell") {
				if tc.q == "c=3" {
					continue // with a layer it is a fine request
				}
				if strings.Contains(tc.q, "layer=") {
					path = "/network/cell?"
				}
			}
			res, body := get(t, c, srv.URL+path+tc.q)
			if res.StatusCode != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("%s%s: %d, want %d with %q\n%.400s", path, tc.q, res.StatusCode, tc.status, tc.want, body)
			}
		}
	}
	res, body := get(t, c, srv.URL+"/network?layer=conv2&c=64&lang=ko")
	if res.StatusCode != 400 || !strings.Contains(body, "0부터 63까지") {
		t.Errorf("Korean range error: %d\n%.300s", res.StatusCode, body)
	}
}

// TestNetworkDrawnInput: a drawing in the URL (exact float32) is the input.
func TestNetworkDrawnInput(t *testing.T) {
	img := make([]float32, mnist.Pixels)
	for i := range img {
		img[i] = float32(i%97) / 96
	}
	px := encodePx(img)
	if len(px) != netPxFloatLen {
		t.Fatalf("px of 784 float32 has %d characters, want %d", len(px), netPxFloatLen)
	}
	got, err := decodePx(px)
	if err != nil {
		t.Fatal(err)
	}
	for i := range img {
		if got[i] != img[i] {
			t.Fatalf("pixel %d: %v, want %v", i, got[i], img[i])
		}
	}
	img[5] = 1.5
	if _, err := decodePx(encodePx(img)); err == nil {
		t.Error("a pixel of 1.5 was accepted")
	}
	_, srv := newTestServer(t)
	res, body := get(t, srv.Client(), srv.URL+"/network?layer=softmax&c=0&px="+url.QueryEscape(encodePx(testImg())))
	if res.StatusCode != 200 || !strings.Contains(body, "your drawing") {
		t.Errorf("drawn input: %d", res.StatusCode)
	}
}

func testImg() []float32 {
	img := make([]float32, mnist.Pixels)
	for i := range img {
		if i%28 > 10 && i%28 < 16 && i/28 > 4 && i/28 < 24 {
			img[i] = 1
		}
	}
	return img
}

// TestPoolAnimationRoute: /animations/pool.gif and .png answer images for
// good queries and a plain-text 400 naming the problem for bad ones; the
// gallery links every pooling card to them.
func TestPoolAnimationRoute(t *testing.T) {
	_, srv := newTestServer(t)
	c := srv.Client()
	for _, tc := range []struct {
		path, ctype string
		status      int
		want        string
	}{
		{"/animations/pool.gif?op=avg&input=5&kernel=3&stride=1", "image/gif", 200, "GIF89a"},
		{"/animations/pool.png?op=max&input=6&kernel=2&ceil_mode=1", "image/png", 200, "\x89PNG"},
		{"/animations/pool.gif?op=avg&dilation=2", "text/plain", 400, "average pooling has no dilation"},
		{"/animations/pool.gif?kernel=3&padding=2", "text/plain", 400, "padding"},
		{"/animations/pool.gif?input=40", "text/plain", 400, "input must be between 1 and 12"},
	} {
		res, body := get(t, c, srv.URL+tc.path)
		if res.StatusCode != tc.status || !strings.HasPrefix(res.Header.Get("Content-Type"), tc.ctype) || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s %.80q", tc.path, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
	}
	_, page := get(t, c, srv.URL+"/animations")
	if n := strings.Count(page, `src="/animations/pool.gif?`); n != 6 {
		t.Errorf("%d pooling animations in the gallery, want 6", n)
	}
	if !strings.Contains(page, "nn.AvgPool2d(kernel_size=3, stride=1)") || !strings.Contains(page, "ceil_mode=True") {
		t.Error("the pooling cards do not show their nn.MaxPool2d/AvgPool2d line")
	}
}

// TestNetworkVisualizerLink: the conv step view's "open in the visualizer"
// URL (from convstate) parses back, and the engine at its step gives the
// explained channel's partial sum (conv2) or, with the bias, the map's
// value (conv1).
func TestNetworkVisualizerLink(t *testing.T) {
	n := explain.Run(mnist.Shipped(), testImg())
	for _, tc := range []struct {
		layer         string
		c, y, x, step int
	}{{"conv1", 4, 10, 13, 0}, {"conv2", 5, 7, 7, 3}, {"conv2", 63, 0, 13, 31}} {
		cell, err := n.Explain(tc.layer, tc.c, tc.y, tc.x)
		if err != nil {
			t.Fatal(err)
		}
		u, part := convVisualizerURL(cell.Conv, tc.step)
		if u == "" {
			t.Fatalf("%s: no visualizer link", tc.layer)
		}
		pu, _ := url.Parse(u)
		s, err := convstate.Parse(pu.Query())
		if err != nil {
			t.Fatalf("%s: %s does not parse: %v", tc.layer, u, err)
		}
		g, err := s.Resolve()
		if err != nil {
			t.Fatal(err)
		}
		var b []float32
		if s.Bias {
			b = s.B
		}
		oy, ox := (s.Step-1)/g.OutW, (s.Step-1)%g.OutW
		got := conv.TraceStep(g, s.X, s.W, b, 0, oy, ox).Sum
		want := cell.Conv.Step.ChannelSums[tc.step]
		if !part {
			want = cell.Value
		}
		if oy != tc.y || ox != tc.x || math.Abs(float64(got-want)) > 1e-5 || part != (tc.layer == "conv2") {
			t.Errorf("%s (%d,%d) channel %d: /conv step (%d,%d) gives %v, want %v (part %v)", tc.layer, tc.y, tc.x, tc.step, oy, ox, got, want, part)
		}
	}
}

// TestNetworkLive: model=live explains the run's snapshot and names its
// training step on the page and in each cell's explanation.
func TestNetworkLive(t *testing.T) {
	a, srv := newTestServer(t)
	net, err := mnist.NewNet("small", 5)
	if err != nil {
		t.Fatal(err)
	}
	a.netLive = func() (*mnist.Net, int) { return net, 1234 }
	res, page := get(t, srv.Client(), srv.URL+"/network?model=live&layer=conv2&c=15&y=3&x=4")
	if res.StatusCode != 200 || !strings.Contains(page, "step 1234 (small network)") || !strings.Contains(page, "[1, 16, 14, 14]") {
		t.Fatalf("live page: %d, step named: %v", res.StatusCode, strings.Contains(page, "1234"))
	}
	_, frag := get(t, srv.Client(), srv.URL+"/network/cell?model=live&layer=conv2&c=15&y=3&x=4&step=7")
	if !strings.Contains(frag, `data-testid="net-snapshot"`) || !strings.Contains(frag, "step 1234") || !strings.Contains(frag, "channel 8 of 8") {
		t.Errorf("live fragment does not name its step or step through the small net's 8 channels:\n%.600s", frag)
	}
}

// TestNetworkPoolVisualizerLink: a max-pool cell opens in /conv/pool at the
// same output cell, which shows the same pooled value.
func TestNetworkPoolVisualizerLink(t *testing.T) {
	_, srv := newTestServer(t)
	n := explain.Run(mnist.Shipped(), testImg())
	cell, err := n.Explain("pool1", 7, 6, 9)
	if err != nil {
		t.Fatal(err)
	}
	u := poolVisualizerURL(cell.Pool)
	if u == "" {
		t.Fatal("no /conv/pool link")
	}
	res, body := get(t, srv.Client(), srv.URL+u)
	want := `data-testid="current-sum">` + convview.FormatNum(cell.Value) + "<"
	if res.StatusCode != 200 || !strings.Contains(body, want) || !strings.Contains(body, "nn.MaxPool2d(kernel_size=2)") {
		t.Errorf("%s: %d, want %s", u, res.StatusCode, want)
	}
}

// The input line names the test image by its index and its true digit,
// and the Korean page names the network in Korean (QA findings 12, 13).
func TestNetworkInputAndModelLines(t *testing.T) {
	_, srv := newTestServer(t)
	for _, tc := range []struct {
		path      string
		want, not []string
	}{
		{"/network?lang=en", []string{"Input: MNIST test image #0 (true digit ", "Shipped model (reference network)"}, []string{"test digit 0"}},
		{"/network?lang=ko", []string{"입력: MNIST 테스트 이미지 0번 (정답 ", "기본 제공 모델 (기준 신경망)"}, []string{"(reference)", "테스트 숫자 0"}},
		{"/network?lang=ko&model=untrained&preset=small", []string{"학습 전 신경망 (작은 신경망, 무작위 가중치)"}, []string{"(small"}},
	} {
		resp, body := get(t, nil, srv.URL+tc.path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", tc.path, resp.StatusCode)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %q", tc.path, w)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(body, w) {
				t.Errorf("%s has %q", tc.path, w)
			}
		}
	}
}
