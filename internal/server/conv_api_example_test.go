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
	call := func(path, body string) {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		a.handler().ServeHTTP(rec, req)
		fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	call("/api/conv", body)

	// A kernel larger than the input is refused in words, with the
	// engine's stable code, in the reader's language.
	tooBig := `{"input": [[[1,2],[3,4]]], "weight": [[[[1,1,1],[1,1,1],[1,1,1]]]]}`
	call("/api/conv", tooBig)
	call("/api/conv?lang=ko", tooBig)

	// With grad_output (shaped like the output) come the gradients.
	call("/api/conv", `{"input": [[[1,2],[3,4]]], "weight": [[[[1,0],[0,1]]]], "bias": [0], "grad_output": [[[1]]]}`)
	// Output:
	// 200 {"output":[[[8,9],[8,6]]],"shape":[1,2,2]}
	// 422 {"error":"kernel 3×3 is larger than the padded input 2×2","code":"kernel_too_large","param":"kernel_size"}
	// 422 {"error":"커널 크기(3×3)가 패딩된 입력의 크기(2×2)보다 큽니다","code":"kernel_too_large","param":"kernel_size"}
	// 200 {"output":[[[5]]],"shape":[1,1,1],"grad_input":[[[1,0],[0,1]]],"grad_weight":[[[[1,2],[3,4]]]],"grad_bias":[1]}
}
