package live_test

import (
	"encoding/base64"
	"fmt"

	"github.com/convlab/convlab/internal/live"
)

// A start request's body is checked before any training begins; missing
// fields take the classroom defaults.
func ExampleParseConfig() {
	cfg, err := live.ParseConfig([]byte(`{"net": "reference", "lr": 0.001}`))
	fmt.Printf("%+v %v\n", cfg, err)
	_, err = live.ParseConfig([]byte(`{"batch_size": 1000}`))
	fmt.Println(err)
	// Output:
	// {Net:reference Optimizer:adam LR:0.001 BatchSize:64 Augment:false} <nil>
	// batch_size must be between 1 and 512, not 1000
}

// Filters are weights of both signs: 128 is zero, 0 and 255 the largest
// magnitude of all filters, so filters compare fairly on screen.
func ExampleQuantizeSigned() {
	m := live.QuantizeSigned("conv1", 1, 1, 3, []float32{-0.5, 0, 0.25})
	b, _ := base64.StdEncoding.DecodeString(m.Data)
	fmt.Println(m.Scale, b)
	// Output:
	// 0.5 [1 128 192]
}
