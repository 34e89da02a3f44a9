package convapi

import (
	"encoding/json"
	"fmt"
	"testing"
)

func TestParseTensorMatchesEncodingJSON(t *testing.T) {
	for _, raw := range []string{
		`[[[1,2],[3,4]]]`,
		" [ [ [ -1.5e2 , 0.25E-1 ] ,\n\t[ 3e+0 , -0 ] ] , [ [ 1e-45 , 123456789 ] , [ 0.1 , -3.4e38 ] ] ] ",
		`[[[0]]]`,
	} {
		shape, data, err := parseTensor(json.RawMessage(raw), "input", 3, "err.layout.input")
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		var want [][][]float64
		if err := json.Unmarshal([]byte(raw), &want); err != nil {
			t.Fatal(err)
		}
		var flatWant []float32
		for _, c := range want {
			for _, r := range c {
				for _, v := range r {
					flatWant = append(flatWant, float32(v))
				}
			}
		}
		if fmt.Sprint(shape) != fmt.Sprint([]int{len(want), len(want[0]), len(want[0][0])}) || fmt.Sprint(data) != fmt.Sprint(flatWant) {
			t.Errorf("%s: shape %v data %v, want %v", raw, shape, data, flatWant)
		}
	}
}
