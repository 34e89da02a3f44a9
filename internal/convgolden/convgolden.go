// Package convgolden reads conv/testdata/golden.json.gz, PyTorch's answers
// for the conv engine (made by scripts/gen_conv_golden.py), for tests
// outside package conv: the /api/conv parity test (internal/convapi) and
// the error-catalogue test (internal/apperr). Package conv's own tests read
// the same file with their own loader (conv/golden_test.go: an in-package
// test cannot import a package that imports conv).
package convgolden

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/convlab/convlab/conv"
)

// Spec is a conv.Spec as the generator writes it (PyTorch's names).
type Spec struct {
	InChannels    int    `json:"in_channels"`
	OutChannels   int    `json:"out_channels"`
	KernelSize    [2]int `json:"kernel_size"`
	Stride        [2]int `json:"stride"`
	Padding       [2]int `json:"padding"`
	PaddingStr    string `json:"padding_str"`
	Dilation      [2]int `json:"dilation"`
	Groups        int    `json:"groups"`
	Bias          bool   `json:"bias"`
	PaddingMode   string `json:"padding_mode"`
	Transposed    bool   `json:"transposed"`
	OutputPadding [2]int `json:"output_padding"`
}

// Spec is s as a conv.Spec.
func (s Spec) Spec() conv.Spec {
	return conv.Spec{
		InChannels: s.InChannels, OutChannels: s.OutChannels, KernelSize: s.KernelSize, Stride: s.Stride,
		Padding: s.Padding, PaddingStr: s.PaddingStr, Dilation: s.Dilation, Groups: s.Groups, Bias: s.Bias,
		PaddingMode: conv.PaddingMode(s.PaddingMode), Transposed: s.Transposed, OutputPadding: s.OutputPadding,
	}
}

// Conv is one configuration PyTorch accepts, with a batch of N images:
// X (N×C×H×W), W, B, the output gradient GY, and PyTorch's output Y and
// gradients GX, GW, GB (float64 autograd rounded to float32).
type Conv struct {
	Name     string    `json:"name"`
	Spec     Spec      `json:"spec"`
	N        int       `json:"n"`
	InH      int       `json:"in_h"`
	InW      int       `json:"in_w"`
	OutShape [4]int    `json:"out_shape"`
	X        []float32 `json:"x"`
	W        []float32 `json:"w"`
	B        []float32 `json:"b"`
	GY       []float32 `json:"gy"`
	Y        []float32 `json:"y"`
	GX       []float32 `json:"gx"`
	GW       []float32 `json:"gw"`
	GB       []float32 `json:"gb"`
}

// Reject is a configuration PyTorch refuses.
type Reject struct {
	Name       string   `json:"name"`
	Spec       Spec     `json:"spec"`
	InH        int      `json:"in_h"`
	InW        int      `json:"in_w"`
	Param      string   `json:"param"`
	Contains   []string `json:"contains"`
	TorchError string   `json:"torch_error"`
}

// Pool is a pooling case (only what the error tests need).
type Pool struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Kernel  [2]int `json:"kernel"`
	Stride  [2]int `json:"stride"`
	Padding [2]int `json:"padding"`
	C       int    `json:"c"`
	InH     int    `json:"in_h"`
	InW     int    `json:"in_w"`
}

// File is the golden file.
type File struct {
	TorchVersion string   `json:"torch_version"`
	Conv         []Conv   `json:"conv"`
	Reject       []Reject `json:"reject"`
	PoolReject   []Pool   `json:"pool_reject"`
}

var (
	once sync.Once
	file *File
	err  error
)

// Load reads the golden file once per process.
func Load() (*File, error) {
	once.Do(func() {
		_, here, _, _ := runtime.Caller(0)
		path := filepath.Join(filepath.Dir(here), "..", "..", "conv", "testdata", "golden.json.gz")
		f, e := os.Open(path)
		if e != nil {
			err = e
			return
		}
		defer f.Close()
		zr, e := gzip.NewReader(f)
		if e != nil {
			err = e
			return
		}
		var g File
		if e := json.NewDecoder(zr).Decode(&g); e != nil {
			err = fmt.Errorf("decoding %s: %w (regenerate with: /usr/bin/python3 scripts/gen_conv_golden.py)", path, e)
			return
		}
		file = &g
	})
	return file, err
}
