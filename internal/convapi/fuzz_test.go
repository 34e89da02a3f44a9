package convapi

import (
	"testing"

	"github.com/convlab/convlab/internal/apperr"
)

// FuzzCompute: no body makes Compute panic, and every refusal is a user
// error (an *apperr.Error or the engine's *conv.Error), never an internal
// one. The seeds include gradients of right and wrong shapes.
func FuzzCompute(f *testing.F) {
	for _, s := range []string{
		`{"input":` + lessonInput + `,"weight":` + crossFilter + `}`,
		`{"input":` + lessonInput + `,"weight":` + crossFilter + `,"bias":[1],"grad_output":[[[1,2,3],[4,5,6],[7,8,9]]],"trace":true}`,
		`{"input":` + lessonInput + `,"weight":` + crossFilter + `,"grad_output":[[[1,2,3],[4,5,6]]]}`,
		`{"input":[[[1,2],[3,4]]],"weight":[[[[1,1],[1,1]]]],"transposed":true,"stride":2,"output_padding":1,"grad_output":[[[1,1,1,1,1],[1,1,1,1,1],[1,1,1,1,1],[1,1,1,1,1],[1,1,1,1,1]]]}`,
		`{"input":[[[1,2,3],[4,5,6],[7,8,9]],[[1,2,3],[4,5,6],[7,8,9]]],"weight":[[[[1]]],[[[2]]]],"groups":2,"padding":1,"padding_mode":"reflect","grad_output":[[[1]]]}`,
		`{"input":[[[1e38]]],"weight":[[[[1e38]]]],"grad_output":[[[1e38]]]}`,
		`{"input":[[[1]]],"weight":[[[[1]]]],"grad_output":null}`,
		`{"input":[[[1]]],"weight":[[[[1]]]],"padding":"same","dilation":[2,1]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, err := Compute(body)
		if err != nil {
			if _, ok := apperr.As(err); !ok {
				t.Fatalf("an internal error for %q: %v", body, err)
			}
			return
		}
		if resp.Output == nil {
			t.Fatalf("no output for %q", body)
		}
	})
}
