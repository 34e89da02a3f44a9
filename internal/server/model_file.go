package server

import (
	"fmt"

	"github.com/convlab/convlab/internal/atomicfile"
	"github.com/convlab/convlab/mnist"
)

// loadModelFile checks the -model file at startup: a good one is loaded
// once and served as "shipped" by /api/predict; a missing or corrupt one
// is refused here, with a message in the log, and the app serves the
// shipped model instead (it still starts). It reports whether the file is
// used.
func (a *app) loadModelFile() bool {
	path := a.cfg.ModelPath
	if path == "" {
		return false
	}
	net, err := readModelFile(path)
	if err != nil {
		a.log.Error("the -model file cannot be used; serving the shipped model instead", "path", path, "error", err.Error())
		a.cfg.ModelPath = ""
		return false
	}
	a.model = net
	a.log.Info("serving the -model file", "path", path, "preset", net.Preset(), "parameters", net.ParamCount())
	return true
}

// maxModelFile bounds the -model file: convlab's models are under a
// megabyte (the reference net: ~200 KB).
const maxModelFile = 16 << 20

// readModelFile loads a model saved with (*mnist.Net).Save or PyTorch's
// safetensors, with the reason when it cannot.
func readModelFile(path string) (*mnist.Net, error) {
	b, err := atomicfile.ReadFile(path, maxModelFile)
	if err != nil {
		return nil, err
	}
	net, err := mnist.LoadNet(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return net, nil
}
