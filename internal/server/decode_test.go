package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// Issue 18's decoding findings, through the running server: each of these
// failed before the one decoder (internal/jsonreq).
func TestDecodeFindings(t *testing.T) {
	_, srv := newTestServer(t)
	pixels := make([]any, 784)
	for i := range pixels {
		pixels[i] = 0.0
	}
	pixels[10] = nil
	nullPixel, _ := json.Marshal(map[string]any{"image": pixels})

	state := followBody(t, teacherState(1))
	nullFollow := strings.Replace(state, `"x":[`, `"x":[null,`, 1)
	if nullFollow == state {
		t.Fatal("the follow body did not change")
	}

	for _, tc := range []struct {
		name, path, ctype, body string
		status                  int
		code, want              string
	}{
		// null was read as 0: a pixel, a visualizer value.
		{"null pixel", "/api/predict", "application/json", string(nullPixel), 400, "json_null", "image[10] is null"},
		{"null follow value", "/api/follow", "application/json", nullFollow, 400, "json_null", "state.x[0] is null"},
		// Go type names and a struct dump.
		{"predict array", "/api/predict", "application/json", `[1,2]`, 400, "json_not_object", "the body must be a JSON object, got an array"},
		{"quiz array", "/api/quiz/check", "application/json", `[1,2]`, 400, "json_not_object", "the body must be a JSON object, got an array"},
		{"quiz seed string", "/api/quiz/check", "application/json", `{"kind":"size","seed":"x","answer":"3"}`, 400, "json_type", "seed must be a whole number, 0 or more, got a string"},
		{"quiz seed negative", "/api/quiz/check", "application/json", `{"kind":"size","seed":-1,"answer":"3"}`, 400, "json_number_range", "seed must be a whole number, 0 or more in range, got -1"},
		{"predict width string", "/api/predict", "application/json", `{"image":[],"width":"5"}`, 400, "json_type", "width must be a whole number, got a string"},
		// No endpoint checked Content-Type: curl -d sends a form type.
		{"conv form type", "/api/conv", "application/x-www-form-urlencoded", `{"input":[[[1]]],"weight":[[[[1]]]]}`, 415, "json_content_type", "Content-Type: application/json"},
		{"predict text/plain", "/api/predict", "text/plain;charset=UTF-8", string(nullPixel), 415, "json_content_type", `got "text/plain;charset=UTF-8"`},
		{"quiz no type", "/api/quiz/check", "", `{"kind":"size","seed":1,"answer":"3"}`, 415, "json_content_type", `(got none)`},
		{"follow form", "/api/follow", "application/x-www-form-urlencoded", state, 415, "json_content_type", ""},
		{"train start form", "/api/train/start", "application/x-www-form-urlencoded", `{"net":"small"}`, 415, "json_content_type", ""},
		// JSON with a charset or a +json type is fine.
		{"charset", "/api/conv", "application/json; charset=utf-8", `{"input":[[[1]]],"weight":[[[[2]]]]}`, 200, "", `"output":[[[2]]]`},
	} {
		req, err := http.NewRequest(http.MethodPost, srv.URL+tc.path, strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		if tc.ctype != "" {
			req.Header.Set("Content-Type", tc.ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Error, Code string }
		raw := new(strings.Builder)
		_ = json.NewDecoder(teeReader(resp, raw)).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || body.Code != tc.code || !strings.Contains(body.Error+raw.String(), tc.want) {
			t.Errorf("%s: %d %s\n  want %d code %q containing %q", tc.name, resp.StatusCode, raw, tc.status, tc.code, tc.want)
		}
		for _, goName := range []string{"struct", "main.", "server.", "Request", "float64", "uint64", "*"} {
			if strings.Contains(body.Error, goName) {
				t.Errorf("%s: the message shows Go's %q: %s", tc.name, goName, body.Error)
			}
		}
	}
}

// TestDecodeInKorean: the decoder's words are in the reader's language.
func TestDecodeInKorean(t *testing.T) {
	_, srv := newTestServer(t)
	resp, raw := post(t, srv.URL+"/api/conv?lang=ko", "application/json", `{"input":[[[1]]],"weight":[[[[1]]]],"padding_mode":1}`)
	if resp.StatusCode != 400 || !strings.Contains(raw, "padding_mode의 값은 문자열 형식이어야 합니다. 받은 것: 숫자") {
		t.Errorf("padding_mode 1 in Korean: %d %s", resp.StatusCode, raw)
	}
	resp, raw = post(t, srv.URL+"/api/conv", "text/plain", `{}`, "Cookie", "lang=ko")
	if resp.StatusCode != 415 || !strings.Contains(raw, "JSON으로") {
		t.Errorf("415 in Korean: %d %s", resp.StatusCode, raw)
	}
}

func teeReader(resp *http.Response, sb *strings.Builder) *strings.Reader {
	b := new(strings.Builder)
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	sb.WriteString(b.String())
	return strings.NewReader(b.String())
}
