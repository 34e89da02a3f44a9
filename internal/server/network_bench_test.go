package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkNetworkPage measures GET /network for the reference net through
// the whole handler (middleware, the forward pass of every layer, the
// quantised maps, templ): issue 13 asks for under 30 ms. The cell cases
// are the explanation fragments (GET /network/cell).
func BenchmarkNetworkPage(b *testing.B) {
	a, err := newApp(defaultConfig(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	h := a.handler()
	for _, tc := range []struct{ name, url string }{
		{"page", "/network"},
		{"page-conv2-cell", "/network?layer=conv2&c=5&y=7&x=7"},
		{"cell-conv2", "/network/cell?layer=conv2&c=5&y=7&x=7&step=4"},
		{"cell-logit", "/network/cell?layer=linear&c=7"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var n int
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.url, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", tc.url, rec.Code)
				}
				n = rec.Body.Len()
			}
			b.ReportMetric(float64(n), "html-bytes")
		})
	}
}
