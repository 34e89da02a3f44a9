package mnist_test

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/convlab/convlab/mnist"
)

// A safetensors file is an 8-byte header length, a JSON header naming each
// tensor's dtype, shape and byte range, then the raw little-endian data.
func ExampleEncodeSafetensors() {
	b, err := mnist.EncodeSafetensors([]mnist.Tensor{
		{Name: "0.weight", Shape: []int{1, 1, 2, 2}, Data: []float32{1, 0, 0, -1}},
		{Name: "0.bias", Shape: []int{1}, Data: []float32{0.5}},
	}, map[string]string{"preset": "tiny"})
	if err != nil {
		fmt.Println(err)
		return
	}
	n := binary.LittleEndian.Uint64(b)
	header := strings.TrimRight(string(b[8:8+n]), " ")
	fmt.Printf("header: %d bytes, %d of them spaces so the data starts 8-byte aligned\n%s\n", n, int(n)-len(header), header)
	fmt.Printf("data: %d bytes\n", len(b)-8-int(n))
	// Output:
	// header: 168 bytes, 7 of them spaces so the data starts 8-byte aligned
	// {"0.weight":{"dtype":"F32","shape":[1,1,2,2],"data_offsets":[0,16]},"0.bias":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},"__metadata__":{"preset":"tiny"}}
	// data: 20 bytes
}

func ExampleDecodeSafetensors() {
	b, _ := mnist.EncodeSafetensors([]mnist.Tensor{
		{Name: "w", Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}},
	}, nil)
	ts, meta, err := mnist.DecodeSafetensors(b)
	fmt.Println(ts[0].Name, ts[0].Shape, ts[0].Data, meta, err)

	// A damaged file is refused with a reason.
	_, _, err = mnist.DecodeSafetensors(b[:len(b)-4])
	fmt.Println(err)
	// Output:
	// w [2 3] [1 2 3 4 5 6] map[] <nil>
	// safetensors: tensor "w": data_offsets [0, 24] run past the 20-byte data buffer (truncated?)
}
