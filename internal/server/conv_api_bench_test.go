package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkConvAPI measures POST /api/conv through the whole handler
// (middleware, decoding, validation, engine, JSON) for typical requests
// and for the largest ones the bounds allow.
func BenchmarkConvAPI(b *testing.B) {
	x := make([]float32, 16*64*64)
	for i := range x {
		x[i] = float32(i%13) - 6
	}
	w := make([]float32, 16*16*3*3)
	for i := range w {
		w[i] = float32(i%7) * 0.25
	}
	cases := []struct{ name, body string }{
		{"lesson5x5", `{"input": ` + lessonInput + `, "weight": ` + crossFilter + `}`},
		{"lesson5x5-trace", `{"input": ` + lessonInput + `, "weight": ` + crossFilter + `, "padding": 1, "trace": true}`},
		{"mnist28-trace", fmt.Sprintf(`{"input": %s, "weight": %s, "trace": true}`, nest(x[:28*28], 1, 28, 28), nest(w[:9], 1, 1, 3, 3))},
		{"16x64x64-k3-6out", fmt.Sprintf(`{"input": %s, "weight": %s, "padding": 1}`, nest(x, 16, 64, 64), nest(w[:6*16*9], 6, 16, 3, 3))},
	}
	a, err := newApp(defaultConfig(), nil)
	if err != nil {
		b.Fatal(err)
	}
	h := a.handler()
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.body)))
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/api/conv", strings.NewReader(tc.body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("status %d: %.200s", rec.Code, rec.Body.String())
				}
			}
		})
	}
}
