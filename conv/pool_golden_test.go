package conv

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// poolGoldenCase is one pooling of conv/testdata/pool_golden.json.gz
// (scripts/gen_pool_golden.py): every MaxPool2d / AvgPool2d parameter.
type poolGoldenCase struct {
	Name            string    `json:"name"`
	Kind            string    `json:"kind"`
	Kernel          [2]int    `json:"kernel"`
	Stride          [2]int    `json:"stride"`
	Padding         [2]int    `json:"padding"`
	Dilation        [2]int    `json:"dilation"`
	CeilMode        bool      `json:"ceil_mode"`
	CountIncludePad bool      `json:"count_include_pad"`
	N               int       `json:"n"`
	C               int       `json:"c"`
	InH             int       `json:"in_h"`
	InW             int       `json:"in_w"`
	OutShape        [4]int    `json:"out_shape"`
	X               []float32 `json:"x"`
	GY              []float32 `json:"gy"`
	Y               []float32 `json:"y"`
	GX              []float32 `json:"gx"`
	Indices         []int32   `json:"indices"`
	// rejections
	Param      string   `json:"param"`
	Contains   []string `json:"contains"`
	TorchError string   `json:"torch_error"`
}

type poolGoldenFile struct {
	TorchVersion string           `json:"torch_version"`
	Pool         []poolGoldenCase `json:"pool"`
	Reject       []poolGoldenCase `json:"reject"`
}

var poolGolden = sync.OnceValues(func() (*poolGoldenFile, error) {
	f, err := os.Open("testdata/pool_golden.json.gz")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	var g poolGoldenFile
	if err := json.NewDecoder(zr).Decode(&g); err != nil {
		return nil, fmt.Errorf("decoding pool golden file: %w", err)
	}
	return &g, nil
})

func loadPoolGolden(t testing.TB) *poolGoldenFile {
	t.Helper()
	g, err := poolGolden()
	if err != nil {
		t.Fatalf("%v (regenerate with: make golden-pool)", err)
	}
	return g
}

func (c *poolGoldenCase) spec() PoolSpec {
	return PoolSpec{Kernel: c.Kernel, Stride: c.Stride, Padding: c.Padding, Dilation: c.Dilation,
		CeilMode: c.CeilMode, ExcludePad: c.Kind == "avg" && !c.CountIncludePad}
}

func (c *poolGoldenCase) resolve() (*Pool, error) {
	if c.Kind == "avg" {
		return c.spec().ResolveAvg(c.C, c.InH, c.InW)
	}
	return c.spec().Resolve(c.C, c.InH, c.InW)
}

func (c *poolGoldenCase) describe() string {
	return fmt.Sprintf("%s: %s_pool2d(kernel_size=%v, stride=%v, padding=%v, dilation=%v, ceil_mode=%v, count_include_pad=%v) on %dx%dx%dx%d",
		c.Name, c.Kind, c.Kernel, c.Stride, c.Padding, c.Dilation, c.CeilMode, c.CountIncludePad, c.N, c.C, c.InH, c.InW)
}

// TestPoolGolden: forward, argmax indices and backward of every pooling
// parameter PyTorch has, against PyTorch; and the pooling trace of every
// output cell gives the same value (and the same winner) as the forward.
func TestPoolGolden(t *testing.T) {
	gf := loadPoolGolden(t)
	var ceil, dil, excl int
	for i := range gf.Pool {
		c := &gf.Pool[i]
		p, err := c.resolve()
		if err != nil {
			t.Errorf("%s: PyTorch accepts it, Resolve says: %v", c.describe(), err)
			continue
		}
		if got := [4]int{c.N, p.C, p.OutH, p.OutW}; got != c.OutShape {
			t.Errorf("%s: output shape %v, PyTorch %v", c.describe(), got, c.OutShape)
			continue
		}
		if c.CeilMode {
			ceil++
		}
		if p.Dilation != [2]int{1, 1} {
			dil++
		}
		if p.ExcludePad {
			excl++
		}
		xs := [4]int{c.N, c.C, c.InH, c.InW}
		y, dx := nanFilled(len(c.Y)), nanFilled(len(c.X))
		img := c.C * c.InH * c.InW
		switch c.Kind {
		case "max":
			idx := make([]int32, len(y))
			p.MaxForward(y, idx, c.X, c.N)
			closeTo(t, c.describe()+" forward", y, c.Y, c.OutShape)
			for j := range idx {
				if idx[j] != c.Indices[j] {
					t.Errorf("%s: output %d: argmax index %d, PyTorch %d", c.describe(), j, idx[j], c.Indices[j])
					break
				}
			}
			p.MaxBackward(dx, c.GY, idx, c.N)
			closeTo(t, c.describe()+" backward", dx, c.GX, xs)
			for j := range y {
				b, ch, oy, ox := j/(p.C*p.OutH*p.OutW), j/(p.OutH*p.OutW)%p.C, j/p.OutW%p.OutH, j%p.OutW
				st := p.TraceMax(c.X[b*img:(b+1)*img], ch, oy, ox)
				if st.Value != y[j] || int32(st.ArgY*p.InW+st.ArgX) != c.Indices[j] || st.Taps[st.Arg].Value != y[j] {
					t.Errorf("%s: trace of output %d: %v at (%d,%d) tap %d, forward %v at %d", c.describe(), j, st.Value, st.ArgY, st.ArgX, st.Arg, y[j], c.Indices[j])
					break
				}
			}
		case "avg":
			p.AvgForward(y, c.X, c.N)
			closeTo(t, c.describe()+" forward", y, c.Y, c.OutShape)
			p.AvgBackward(dx, c.GY, c.N)
			closeTo(t, c.describe()+" backward", dx, c.GX, xs)
			for j := range y {
				b, ch, oy, ox := j/(p.C*p.OutH*p.OutW), j/(p.OutH*p.OutW)%p.C, j/p.OutW%p.OutH, j%p.OutW
				st := p.TraceAvg(c.X[b*img:(b+1)*img], ch, oy, ox)
				if st.Value != y[j] || st.Divisor < 1 || len(st.Taps) != p.Kernel[0]*p.Kernel[1] {
					t.Errorf("%s: trace of output %d: %v (sum %v / %d), forward %v", c.describe(), j, st.Value, st.Sum, st.Divisor, y[j])
					break
				}
			}
		default:
			t.Fatalf("unknown pooling kind %q", c.Kind)
		}
	}
	if len(gf.Pool) < 100 || ceil < 20 || dil < 10 || excl < 10 || len(gf.Reject) < 8 {
		t.Errorf("too few cases: %d pool (%d ceil_mode, %d dilated, %d excluding padding), %d rejects", len(gf.Pool), ceil, dil, excl, len(gf.Reject))
	}
}

func TestPoolGoldenRejects(t *testing.T) {
	gf := loadPoolGolden(t)
	for i := range gf.Reject {
		c := &gf.Reject[i]
		p, err := c.resolve()
		desc := c.describe() + "\n  PyTorch: " + c.TorchError
		if err == nil {
			t.Errorf("%s\n  Resolve accepted it (output %dx%d)", desc, p.OutH, p.OutW)
			continue
		}
		var ce *Error
		if !errors.As(err, &ce) {
			t.Errorf("%s\n  error %T is not a *conv.Error", desc, err)
			continue
		}
		if ce.Param != c.Param {
			t.Errorf("%s\n  our error names %q, want %q: %s", desc, ce.Param, c.Param, ce.Msg)
		}
		for _, s := range c.Contains {
			if !strings.Contains(ce.Msg, s) && !strings.Contains(ce.Msg, strings.ReplaceAll(s, "x", "×")) {
				t.Errorf("%s\n  our message does not mention %q: %s", desc, s, ce.Msg)
			}
		}
	}
}

// TestPoolAvgRefusesDilation: AvgPool2d has no dilation parameter.
func TestPoolAvgRefusesDilation(t *testing.T) {
	_, err := PoolSpec{Kernel: [2]int{2, 2}, Dilation: [2]int{2, 1}}.ResolveAvg(1, 6, 6)
	var ce *Error
	if !errors.As(err, &ce) || ce.Param != "dilation" {
		t.Fatalf("avg pooling with dilation 2x1: %v, want a dilation error", err)
	}
}
