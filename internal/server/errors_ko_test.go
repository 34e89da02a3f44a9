package server

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestBadRequestsInKorean walks representative bad requests to the JSON
// endpoints with the reader's language set to Korean three ways (?lang=,
// the cookie, Accept-Language); every answer must be a 4xx whose "error"
// is Korean. An endpoint that answers a hard-coded English text fails.
func TestBadRequestsInKorean(t *testing.T) {
	_, srv := newTestServer(t)
	state := teacherState(1)
	huge := state
	huge.InH, huge.InW = 0, 0
	engine := teacherState(1)
	engine.InH, engine.InW, engine.KH, engine.KW = 2, 2, 3, 3
	engine.FillX()
	engine.X = engine.X[:4]
	for _, tc := range []struct {
		name, method, path, body string
	}{
		{"conv: syntax", "POST", "/api/conv", `{"input": [`},
		{"conv: kernel larger than input", "POST", "/api/conv", `{"input":[[[1]]],"weight":[[[[1,2],[3,4]]]]}`},
		{"conv: unknown field", "POST", "/api/conv", `{"inptu": 1}`},
		{"predict: short image", "POST", "/api/predict", `{"image": [1, 2]}`},
		{"quiz check: bad kind", "POST", "/api/quiz/check", `{"kind": "volume", "seed": 1, "answer": "3"}`},
		{"quiz check: no seed", "POST", "/api/quiz/check", `{"kind": "size", "answer": "3"}`},
		{"follow: no state", "POST", "/api/follow", `{}`},
		{"follow: input 0", "POST", "/api/follow", followBody(t, huge)},
		{"follow: engine refusal", "POST", "/api/follow", followBody(t, engine)},
		{"conv stage: no state", "POST", "/conv/stage", `{}`},
		{"conv stage: syntax", "POST", "/conv/stage", `{"state": `},
		{"lesson: no such stop", "POST", "/api/lesson/follow", `{"stop": 99}`},
		{"lesson: step out of range", "POST", "/api/lesson/follow", `{"stop": 1, "step": -1}`},
		{"train: pause before a run", "POST", "/api/train/pause", ``},
		{"train: bad config", "POST", "/api/train/start", `{"epochs": -1}`},
		{"no such endpoint", "GET", "/api/nothing-here", ``},
		{"wrong method", "DELETE", "/api/conv", ``},
	} {
		for _, how := range []string{"query", "cookie", "accept"} {
			url, header := srv.URL+tc.path, http.Header{}
			switch how {
			case "query":
				url += "?lang=ko"
			case "cookie":
				header.Set("Cookie", "lang=ko")
			case "accept":
				header.Set("Accept-Language", "ko-KR,ko;q=0.9,en;q=0.5")
			}
			req, err := http.NewRequest(tc.method, url, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header = header
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var body errorBody
			if err := json.Unmarshal(raw, &body); err != nil || resp.StatusCode < 400 || resp.StatusCode >= 500 {
				t.Errorf("%s (%s): %d %.200s, want a 4xx JSON error", tc.name, how, resp.StatusCode, raw)
				continue
			}
			if !hasHangul(body.Error) {
				t.Errorf("%s (%s): %d %q is not Korean", tc.name, how, resp.StatusCode, body.Error)
			}
		}
	}
}
