package explain

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"

	"github.com/convlab/convlab/mnist"
)

type goldenNetwork struct {
	TorchVersion string `json:"torch_version"`
	ModelSHA256  string `json:"model_sha256"`
	Digits       []struct {
		Index  int       `json:"index"`
		Label  int       `json:"label"`
		Input  []float32 `json:"input"`
		Layers []struct {
			Seq    int       `json:"seq"`
			Module string    `json:"module"`
			Shape  []int     `json:"shape"`
			Data   []float32 `json:"data"`
		} `json:"layers"`
		Probabilities []float32 `json:"probabilities"`
		Conv2Cell     struct {
			Channel     int       `json:"channel"`
			Y           int       `json:"y"`
			X           int       `json:"x"`
			ChannelSums []float64 `json:"channel_sums"`
			Bias        float64   `json:"bias"`
			Total       float64   `json:"total"`
		} `json:"conv2_cell"`
	} `json:"digits"`
}

func loadGoldenNetwork(t *testing.T) *goldenNetwork {
	t.Helper()
	f, err := os.Open("testdata/network_golden.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var g goldenNetwork
	if err := json.NewDecoder(zr).Decode(&g); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(mnist.ShippedBytes())
	if got := hex.EncodeToString(sum[:]); got != g.ModelSHA256 {
		t.Fatalf("the shipped model mnist/model/reference.safetensors changed (SHA-256 %s), but the fixture "+
			"testdata/network_golden.json.gz was made from %s: regenerate it with `make golden-network`", got, g.ModelSHA256)
	}
	return &g
}

// near reports whether got is within tol of want, relative to scale.
func near(got, want, scale float64) bool {
	return math.Abs(got-want) <= 1e-4*math.Max(scale, 1)
}

func maxAbs(v []float32) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(float64(x)))
	}
	return m
}

// TestNetworkGolden: every layer's output for a few MNIST digits under the
// shipped weights equals PyTorch's (forward hooks on the same
// nn.Sequential), and so do the probabilities.
func TestNetworkGolden(t *testing.T) {
	g := loadGoldenNetwork(t)
	net := mnist.Shipped()
	for _, d := range g.Digits {
		n := Run(net, d.Input)
		for _, gl := range d.Layers {
			var l *Layer
			for i := range n.Layers {
				if n.Layers[i].Seq == gl.Seq {
					l = &n.Layers[i]
				}
			}
			if l == nil {
				t.Fatalf("digit %d: no layer for module %d (%s)", d.Index, gl.Seq, gl.Module)
			}
			if len(l.Data) != len(gl.Data) || !equalInts(l.Shape(), gl.Shape) {
				t.Fatalf("digit %d %s: shape %v (%d values), PyTorch %v (%d)", d.Index, l.Name, l.Shape(), len(l.Data), gl.Shape, len(gl.Data))
			}
			scale := maxAbs(gl.Data)
			for i := range l.Data {
				if !near(float64(l.Data[i]), float64(gl.Data[i]), scale) {
					t.Errorf("digit %d %s (%s) value %d: %v, PyTorch %v", d.Index, l.Name, gl.Module, i, l.Data[i], gl.Data[i])
					break
				}
			}
		}
		for i, p := range n.Probabilities() {
			if !near(float64(p), float64(d.Probabilities[i]), 1) {
				t.Errorf("digit %d: P(%d) = %v, PyTorch %v", d.Index, i, p, d.Probabilities[i])
			}
		}
		// The explained conv2 cell against the manual sum in torch.
		cc := d.Conv2Cell
		cell, err := n.Explain("conv2", cc.Channel, cc.Y, cc.X)
		if err != nil {
			t.Fatal(err)
		}
		st := cell.Conv.Step
		if len(st.ChannelSums) != len(cc.ChannelSums) || len(st.Taps) != 32*9 {
			t.Fatalf("digit %d conv2 cell: %d channel sums, %d taps", d.Index, len(st.ChannelSums), len(st.Taps))
		}
		for ci, s := range cc.ChannelSums {
			if !near(float64(st.ChannelSums[ci]), s, math.Abs(cc.Total)) {
				t.Errorf("digit %d conv2 (%d,%d,%d) channel %d: partial sum %v, torch %v", d.Index, cc.Channel, cc.Y, cc.X, ci, st.ChannelSums[ci], s)
			}
		}
		if !near(float64(st.Bias), cc.Bias, 1) || !near(float64(st.Sum), cc.Total, math.Abs(cc.Total)) {
			t.Errorf("digit %d conv2 cell: bias %v total %v, torch %v %v", d.Index, st.Bias, st.Sum, cc.Bias, cc.Total)
		}
		if !near(float64(cell.Value), float64(st.Sum), math.Abs(cc.Total)) {
			t.Errorf("digit %d conv2 cell: map value %v, explanation total %v", d.Index, cell.Value, st.Sum)
		}
		want := max(cell.Value, 0)
		if cell.Conv.ReLU == nil || cell.Conv.After != want {
			t.Errorf("digit %d conv2 cell: ReLU gives %v, want %v", d.Index, cell.Conv.After, want)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func testImage() []float32 {
	img := make([]float32, mnist.Pixels)
	for i := range img {
		if (i/28-14)*(i/28-14)+(i%28-14)*(i%28-14) < 40 {
			img[i] = 1
		}
	}
	return img
}

// TestExplainCells: each kind of cell explains the value the layer holds.
func TestExplainCells(t *testing.T) {
	for _, preset := range mnist.Presets {
		net, err := mnist.NewNet(preset, 3)
		if err != nil {
			t.Fatal(err)
		}
		n := Run(net, testImage())
		for _, l := range n.Layers {
			flat := l.Kind == "flatten" || l.Kind == "linear" || l.Kind == "softmax"
			c, y, x := l.C-1, l.H-1, l.W/2
			if flat {
				c, y, x = l.C*l.H*l.W-1, 0, 0
			}
			cell, err := n.Explain(l.Name, c, y, x)
			if err != nil {
				t.Fatalf("%s %s: %v", preset, l.Name, err)
			}
			switch l.Kind {
			case "conv":
				if math.Abs(float64(cell.Conv.Step.Sum-cell.Value)) > 1e-4 {
					t.Errorf("%s %s: explanation %v, map %v", preset, l.Name, cell.Conv.Step.Sum, cell.Value)
				}
			case "relu":
				if cell.Value != max(cell.ReLU.In, 0) {
					t.Errorf("%s %s: relu(%v) = %v", preset, l.Name, cell.ReLU.In, cell.Value)
				}
			case "maxpool":
				st := cell.Pool.Step
				if st.Arg < 0 || st.Taps[st.Arg].Value != cell.Value || len(st.Taps) != 4 {
					t.Errorf("%s %s: highlighted max %+v, pooled %v", preset, l.Name, st, cell.Value)
				}
			case "linear":
				lc := cell.Logit
				var s float64
				for _, h := range lc.Heat {
					s += float64(h)
				}
				if math.Abs(s+float64(lc.Bias)-float64(cell.Value)) > 1e-3 || len(lc.Top) != TopContributions || lc.From.Name != "pool2" {
					t.Errorf("%s logit: heat sums to %v + bias %v, logit %v; %d top", preset, s, lc.Bias, cell.Value, len(lc.Top))
				}
				for i := 1; i < len(lc.Top); i++ {
					if abs32(lc.Top[i].Product) > abs32(lc.Top[i-1].Product) {
						t.Errorf("%s logit: contributions not by size", preset)
					}
				}
			case "softmax":
				sc := cell.Softmax
				if float32(sc.Exps[c]/sc.Sum) != cell.Value || cell.Value != n.Probabilities()[c] {
					t.Errorf("%s softmax: %v / %v != %v", preset, sc.Exps[c], sc.Sum, cell.Value)
				}
				p := net.Predict(testImage())
				if p[c] != cell.Value {
					t.Errorf("%s softmax: P(%d) %v, Predict %v", preset, c, cell.Value, p[c])
				}
			}
		}
	}
}

func TestExplainRange(t *testing.T) {
	n := Run(mnist.Shipped(), testImage())
	for _, tc := range []struct {
		layer   string
		c, y, x int
		param   string
	}{{"conv1", 32, 0, 0, "c"}, {"conv2", 0, 14, 0, "y"}, {"pool2", 0, 0, -1, "x"}, {"linear", 10, 0, 0, "c"},
		{"softmax", 0, 1, 0, "y"}, {"conv9", 0, 0, 0, "layer"}} {
		_, err := n.Explain(tc.layer, tc.c, tc.y, tc.x)
		var re *RangeError
		if !errors.As(err, &re) || re.Param != tc.param {
			t.Errorf("Explain(%s, %d, %d, %d) = %v, want a %s range error", tc.layer, tc.c, tc.y, tc.x, err, tc.param)
		}
	}
}
