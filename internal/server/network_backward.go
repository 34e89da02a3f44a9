package server

import (
	"hash/maphash"
	"math"
	"sync"

	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/internal/explain"
	"github.com/convlab/convlab/mnist"
)

// cellGradient writes the gradient of the loss at one cell of /network
// (issue 14): the cross-entropy with the input's true label (a drawing:
// the prediction), run back through the network by mnist.Net.Backprop,
// the same code whose gradients are held to PyTorch (mnist/backprop_test.go).
// "" for the input and the softmax (Backprop gives the gradient of the
// logits, not of the probabilities, and none of the image).
func cellGradient(lang string, net *mnist.Net, img []float32, label int, cell *explain.Cell) string {
	l := cell.Layer
	if l.Seq < 0 || net == nil {
		return ""
	}
	if label < 0 {
		p := net.Predict(img)
		label = 0
		for d, v := range p {
			if v > p[label] {
				label = d
			}
		}
	}
	grads, loss := netGrads.get(net, img, label)
	if l.Seq >= len(grads) {
		return ""
	}
	i := (cell.C*l.H+cell.Y)*l.W + cell.X
	if i < 0 || i >= len(grads[l.Seq]) {
		return ""
	}
	g := grads[l.Seq][i]
	key := "network.grad." + l.Name // pool1 and pool2 differ in what follows them
	if i18n.TL(lang, key) == key {
		key = "network.grad." + l.Kind
	}
	if i18n.TL(lang, key) == key {
		key = "network.grad.other"
	}
	return i18n.TL(lang, "network.grad", label, fmtBW(g), fmtBW(float32(loss))) + " " + i18n.TL(lang, key)
}

// gradCache keeps the per-layer gradients (∂loss/∂output) of the last few
// (network, input, label) triples, so stepping through the cells of one
// input runs Backprop (≈ 8 ms, BenchmarkBackprop) once. An entry holds its
// network, so a network's address is never reused while it is a key.
type gradCache struct {
	mu      sync.Mutex
	seed    maphash.Seed
	entries []gradEntry // most recent last
}

type gradEntry struct {
	net   *mnist.Net
	img   uint64 // hash of the input's bits
	label int
	grads [][]float32
	loss  float64
}

const gradCacheSize = 16

var netGrads = &gradCache{seed: maphash.MakeSeed()}

func (c *gradCache) get(net *mnist.Net, img []float32, label int) ([][]float32, float64) {
	var h maphash.Hash
	h.SetSeed(c.seed)
	var b [4]byte
	for _, v := range img {
		u := math.Float32bits(v)
		b[0], b[1], b[2], b[3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
		h.Write(b[:])
	}
	key := h.Sum64()
	c.mu.Lock()
	for i, e := range c.entries {
		if e.net == net && e.img == key && e.label == label {
			c.entries = append(append(c.entries[:i:i], c.entries[i+1:]...), e)
			c.mu.Unlock()
			return e.grads, e.loss
		}
	}
	c.mu.Unlock()
	bp := net.Backprop(img, []uint8{uint8(label)})
	e := gradEntry{net: net, img: key, label: label, loss: bp.Loss}
	for _, lp := range bp.Layers {
		e.grads = append(e.grads, lp.GradOut)
	}
	c.mu.Lock()
	if len(c.entries) >= gradCacheSize {
		c.entries = append(c.entries[:0:0], c.entries[1:]...)
	}
	c.entries = append(c.entries, e)
	c.mu.Unlock()
	return e.grads, e.loss
}
