package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
)

// The lesson's first example through POST /api/conv: a 4x4 input under the
// cross-shaped 3x3 filter makes a 2x2 feature map, and its first window
// [[1,2,3],[0,1,5],[1,0,2]] gives 1+3+1+1+2 = 8.
func Example_convAPI() {
	a, _ := newApp(defaultConfig(), nil)
	body := `{
		"input":  [[[1,2,3,0],[0,1,5,1],[1,0,2,2],[3,1,0,1]]],
		"weight": [[[[1,0,1],[0,1,0],[1,0,1]]]]
	}`
	rec := httptest.NewRecorder()
	a.handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/conv", strings.NewReader(body)))
	fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))

	// A kernel larger than the input is refused in words.
	rec = httptest.NewRecorder()
	a.handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/conv",
		strings.NewReader(`{"input": [[[1,2],[3,4]]], "weight": [[[[1,1,1],[1,1,1],[1,1,1]]]]}`)))
	fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	// Output:
	// 200 {"output":[[[8,9],[8,6]]],"shape":[1,2,2]}
	// 422 {"error":"kernel 3x3 is larger than the padded input 2x2"}
}
