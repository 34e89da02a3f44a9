package server

import (
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
	bp := net.Backprop(img, []uint8{uint8(label)})
	if l.Seq >= len(bp.Layers) {
		return ""
	}
	lp := bp.Layers[l.Seq]
	i := (cell.C*l.H+cell.Y)*l.W + cell.X
	if i < 0 || i >= len(lp.GradOut) {
		return ""
	}
	g := lp.GradOut[i]
	key := "network.grad." + l.Name // pool1 and pool2 differ in what follows them
	if i18n.TL(lang, key) == key {
		key = "network.grad." + l.Kind
	}
	if i18n.TL(lang, key) == key {
		key = "network.grad.other"
	}
	return i18n.TL(lang, "network.grad", label, fmtBW(g), fmtBW(float32(bp.Loss))) + " " + i18n.TL(lang, key)
}
