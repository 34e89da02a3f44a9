package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzConvAPI throws arbitrary bodies at POST /api/conv: never a 5xx,
// never a panic, and a 200 is always valid JSON with finite numbers.
// Seeds: testdata/fuzz/FuzzConvAPI plus the ones below.
func FuzzConvAPI(f *testing.F) {
	for _, s := range []string{
		`{"input": ` + lessonInput + `, "weight": ` + crossFilter + `}`,
		`{"input": ` + lessonInput + `, "weight": ` + crossFilter + `, "bias": [1], "padding": 1, "padding_mode": "replicate", "trace": true}`,
		`{"input":[[[1,2],[3,4]]],"weight":[[[[1,2],[3,4]]]],"transposed":true,"stride":2,"output_padding":1,"trace":true}`,
		`{"input":[[[1,2,3],[4,5,6]],[[7,8,9],[1,2,3]]],"weight":[[[[1]]],[[[2]]]],"groups":2,"dilation":[1,2],"padding":"same"}`,
		`{"input":[[[3e38]]],"weight":[[[[3e38]]]]}`,
		`{"input":[[[1,2],[3]]],"weight":[[[[1]]]]}`,
		`{"input":[[["NaN"]]],"weight":[[[[1]]]]}`,
		`{"input":[[[1]]],"weight":[[[[1]]]],"stride":[0,1],"padding":[-1,2],"padding_mode":"circular"}`,
		`[[[[[[[[[[`,
		``,
	} {
		f.Add([]byte(s))
	}
	a, err := newApp(defaultConfig(), nil)
	if err != nil {
		f.Fatal(err)
	}
	h := a.handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/api/conv", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.String())
		}
		var v map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("status %d, response is not JSON: %v", rec.Code, err)
		}
		if rec.Code == 200 {
			if _, ok := v["output"]; !ok {
				t.Fatalf("200 without output: %s", rec.Body.String())
			}
		} else if msg, _ := v["error"].(string); msg == "" {
			t.Fatalf("status %d without an error message: %s", rec.Code, rec.Body.String())
		}
	})
}
