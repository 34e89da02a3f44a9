package mnist

import (
	_ "embed"
	"sync"
)

// shippedModel is the pretrained network that ships inside the binary,
// made by `make model` (see the README's "Model" section for the command,
// seed, time and accuracy).
//
//go:embed model/reference.safetensors
var shippedModel []byte

var shipped = sync.OnceValues(func() (*Net, error) { return LoadNet(shippedModel) })

// Shipped returns the embedded pretrained model, decoded once and shared:
// use it only to predict (Predict, FeatureMaps, Filters are safe for
// concurrent use); Clone it to change it. It never panics: a model that
// fails to decode would be a build bug, which TestShippedModel catches;
// Shipped then returns nil and ShippedErr says why.
func Shipped() *Net {
	n, _ := shipped()
	return n
}

// ShippedErr is the error, if any, of decoding the embedded model.
func ShippedErr() error {
	_, err := shipped()
	return err
}

// ShippedBytes is the embedded model file (safetensors), e.g. to offer it
// for download. Do not modify it.
func ShippedBytes() []byte { return shippedModel }
