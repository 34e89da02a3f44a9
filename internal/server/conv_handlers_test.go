package server

import (
	"context"
	"encoding/json"
	"html"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/convlab/convlab/internal/convstate"
	"github.com/convlab/convlab/static"
	"github.com/convlab/convlab/views"
)

// testid returns the text inside the first element with data-testid=id.
func testid(t *testing.T, body, id string) string {
	t.Helper()
	re := regexp.MustCompile(`data-testid="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)<`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no data-testid=%q in the page", id)
	}
	return html.UnescapeString(strings.TrimSpace(m[1]))
}

func TestConvPagePresetsAndURLs(t *testing.T) {
	_, srv := newTestServer(t)
	cases := []struct {
		query            string
		outSize, stepIdx string
		sum              string // "" = don't check
		formulaHas       []string
		pytorch          string
	}{
		{"preset=lesson-4x4", "2×2", "1 / 4", "", nil, "nn.Conv2d(1, 1, kernel_size=3, bias=False)"},
		{"", "2×2", "1 / 4", "12", nil, ""}, // a bare /conv: the lesson's first example, 4×4 under 3×3
		{"lang=ko&present=1", "2×2", "1 / 4", "12", nil, ""},
		{"preset=lesson-5x5", "3×3", "1 / 9", "8", []string{"⌊(5 + 2·0 − 1·(3 − 1) − 1) / 1⌋ + 1 = ⌊2 / 1⌋ + 1 = 3"}, "nn.Conv2d(1, 1, kernel_size=3, bias=False)"},
		{"preset=lesson-mnist", "26×26", "1 / 676", "0", nil, "nn.Conv2d(1, 1, kernel_size=3, bias=False)"},
		{"preset=stride", "2×2", "1 / 4", "", nil, "nn.Conv2d(1, 1, kernel_size=3, stride=2, bias=False)"},
		{"preset=zero-padding", "7×7", "1 / 49", "", nil, "nn.Conv2d(1, 1, kernel_size=3, padding=2, bias=False)"},
		{"preset=half-padding", "5×5", "1 / 25", "", nil, ""},
		{"preset=arbitrary-padding", "6×6", "1 / 36", "", nil, ""},
		{"preset=odd-stride", "3×3", "1 / 9", "", []string{"⌊5 / 2⌋ + 1 = 3 (5 = 2·2 + 1)"}, ""},
		{"preset=dilation", "3×3", "1 / 9", "", nil, "nn.Conv2d(1, 1, kernel_size=3, dilation=2, bias=False)"},
		{"preset=transposed", "5×5", "1 / 25", "", []string{"(2 − 1)·2 − 2·0 + 1·(3 − 1) + 0 + 1 = 5"}, "nn.ConvTranspose2d(1, 1, kernel_size=3, stride=2, bias=False)"},
		{"preset=channels", "3×3", "1 / 18", "", nil, "nn.Conv2d(3, 2, kernel_size=3, stride=2, padding=1)"},
		{"input=7&kernel=3&stride=2&padding=1", "4×4", "1 / 16", "", []string{"⌊(7 + 2·1 − 1·(3 − 1) − 1) / 2⌋ + 1 = ⌊6 / 2⌋ + 1 = 4"}, "nn.Conv2d(1, 1, kernel_size=3, stride=2, padding=1, bias=False)"},
		{"input=28&kernel=3&padding=1", "28×28", "1 / 784", "", nil, ""},
		{"input=28&kernel=3&stride=2&padding=1", "14×14", "1 / 196", "", nil, ""},
		{"input=5x7&kernel=3x2&padding=same", "5×7", "1 / 35", "", []string{"⌊(7 + 0 + 1 − 1·(2 − 1) − 1) / 1⌋ + 1"}, "nn.Conv2d(1, 1, kernel_size=(3, 2), padding='same', bias=False)"},
		// The animations page links here with every parameter spelled out.
		{"input=3&kernel=3&stride=2&padding=1&dilation=1&transposed=1&output_padding=1", "6×6", "1 / 36", "", []string{"(3 − 1)·2 − 2·1 + 1·(3 − 1) + 1 + 1 = 6"}, "nn.ConvTranspose2d(1, 1, kernel_size=3, stride=2, padding=1, output_padding=1, bias=False)"},
		{"preset=lesson-5x5&step=9", "3×3", "9 / 9", "", nil, ""},
		{"preset=lesson-5x5&step=99", "3×3", "9 / 9", "", nil, ""}, // clamped
		{"input=5&kernel=3&padding=1&mode=reflect", "5×5", "1 / 25", "", nil, "nn.Conv2d(1, 1, kernel_size=3, padding=1, bias=False, padding_mode='reflect')"},
		{"input=3&kernel=2&x=1,2,3,4,5,6,7,8,9&w=1,0,0,1", "2×2", "1 / 4", "6", nil, ""},
		{"input=3&kernel=2&x=1,2,3,4,5,6,7,8,9&w=1,0,0,1&bias=1&b=-2.5", "2×2", "1 / 4", "3.5", nil, "nn.Conv2d(1, 1, kernel_size=2)"},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			resp, body := get(t, nil, srv.URL+"/conv?"+tc.query)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200; error: %s", resp.StatusCode, errorText(body))
			}
			if got := testid(t, body, "output-size"); got != tc.outSize {
				t.Errorf("output-size %q, want %q", got, tc.outSize)
			}
			if got := testid(t, body, "step-index"); got != tc.stepIdx {
				t.Errorf("step-index %q, want %q", got, tc.stepIdx)
			}
			if tc.sum != "" {
				if got := testid(t, body, "current-sum"); got != tc.sum {
					t.Errorf("current-sum %q, want %q", got, tc.sum)
				}
			}
			text := html.UnescapeString(body)
			for _, f := range tc.formulaHas {
				if !strings.Contains(text, f) {
					t.Errorf("formula %q missing", f)
				}
			}
			if tc.pytorch != "" && !strings.Contains(text, tc.pytorch) {
				t.Errorf("PyTorch line %q missing", tc.pytorch)
			}
			if !strings.Contains(body, `<script id="conv-data" type="application/json">`) {
				t.Error("no conv-data JSON block")
			}
		})
	}
}

func errorText(body string) string {
	re := regexp.MustCompile(`(?s)id="conv-error"[^>]*>(.*?)</p>`)
	if m := re.FindStringSubmatch(body); m != nil {
		return strings.Join(strings.Fields(html.UnescapeString(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[1], ""))), " ")
	}
	return ""
}

func TestConvPageBadParams(t *testing.T) {
	_, srv := newTestServer(t)
	cases := []struct {
		query, lang, want string
	}{
		{"input=abc", "en", "input must be a whole number like 3, or height×width like 3x5; got “abc”."},
		{"input=0", "en", "input “0” is out of range: each number must be between 1 and 32."},
		{"input=33", "en", "between 1 and 32"},
		{"input=99999999999999999999", "en", "input must be a whole number"},
		{"kernel=9", "en", "kernel “9” is out of range"},
		{"stride=0", "en", "stride “0” is out of range"},
		{"padding=-1", "en", "padding “-1” is out of range"},
		{"padding=nope", "en", "padding must be a whole number"},
		{"mode=mirror", "en", "The padding mode must be zeros, reflect, replicate or circular; got “mirror”."},
		{"channels=5", "en", "channels “5” is out of range"},
		{"filters=x", "en", "filters must be a whole number; got “x”."},
		{"bias=maybe", "en", "bias must be 1 or 0"},
		{"step=0", "en", "step “0” is out of range"},
		{"preset=nope", "en", "There is no preset called “nope”."},
		{"op=bogus", "en", "The visualizer shows op=conv"},
		{"op=conv_transpose", "en", "got “conv_transpose”"},
		{"op=bogus", "ko", "시각화 도구의 연산은 op=conv입니다"},
		{"input=3&x=1,2", "en", "x needs exactly 9 numbers for this configuration; the link has 2."},
		{"input=2&x=1,2,NaN,4", "en", "x holds “NaN”, which is not a number."},
		{"input=2&x=1,2,1e9,4", "en", "values must be between −1000 and 1000"},
		{"input=2&kernel=3&w=1,2,3", "en", "w needs exactly 9 numbers"},
		// The engine's own words for configurations PyTorch rejects.
		{"input=3&kernel=5", "en", "kernel 5×5 is larger than the padded input 3×3"},
		{"input=5&kernel=3&stride=2&padding=same", "en", "padding=\"same\" needs stride 1"},
		{"input=3&kernel=3&padding=3&mode=reflect", "en", "padding_mode=\"reflect\" needs padding smaller than the input"},
		{"input=4&transposed=1&output_padding=2", "en", "output_padding must be smaller than either stride or dilation"},
		// Budgets of the visualizer.
		{"input=32&kernel=7&channels=4&filters=4&padding=same", "en", "This convolution needs"},
		// Korean.
		{"input=abc", "ko", "input 값은 3 같은 정수나 3x5 같은 높이×너비여야 합니다. 받은 값: “abc”."},
		{"input=3&kernel=5", "ko", "PyTorch 규칙에 맞지 않는 설정입니다: 커널 크기(5×5)가 패딩된 입력의 크기(3×3)보다 큽니다"},
		{"mode=mirror", "ko", "패딩 모드는 zeros, reflect, replicate, circular 중 하나여야 합니다."},
	}
	for _, tc := range cases {
		t.Run(tc.lang+"/"+tc.query, func(t *testing.T) {
			resp, body := get(t, nil, srv.URL+"/conv?"+tc.query+"&lang="+tc.lang)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", resp.StatusCode)
			}
			msg := errorText(body)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("message %q\nwant it to contain %q", msg, tc.want)
			}
			// The page is still the visualizer, with its controls, and shows
			// no grid that would belong to another configuration.
			if !strings.Contains(body, `id="conv-form"`) {
				t.Error("the page lost its controls")
			}
			if strings.Contains(body, `id="conv-in-0"`) || strings.Contains(body, `data-testid="current-sum"`) {
				t.Error("the error page shows grids")
			}
			if got := testid(t, body, "output-size"); got != "–" {
				t.Errorf("output-size %q on an error page", got)
			}
		})
	}
}

// Pooling lives at /conv/pool: /conv?op=max_pool|avg_pool goes there
// (303) with its query, and op=conv is the page itself (QA finding 1).
func TestConvPageOpPoolRedirects(t *testing.T) {
	_, srv := newTestServer(t)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, q := range []string{"op=max_pool&input=5&kernel=3", "op=avg_pool&lang=ko"} {
		resp, err := noFollow.Get(srv.URL + "/conv?" + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: status %d, want 303", q, resp.StatusCode)
		}
		if got, want := resp.Header.Get("Location"), "/conv/pool?"+q; got != want {
			t.Errorf("%s: Location %q, want %q", q, got, want)
		}
	}
	resp, _ := get(t, nil, srv.URL+"/conv?op=max_pool&input=5&kernel=3")
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/conv/pool" {
		t.Fatalf("followed: status %d at %s", resp.StatusCode, resp.Request.URL.Path)
	}
	resp, _ = get(t, nil, srv.URL+"/conv?op=conv")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("op=conv: status %d, want 200", resp.StatusCode)
	}
}

// The page keeps to the CSP: no inline script code, no style attributes,
// no <style> blocks, no inline event handlers; data only in JSON blocks.
func TestConvPageCSPClean(t *testing.T) {
	_, srv := newTestServer(t)
	for _, q := range []string{"preset=lesson-mnist", "preset=channels", "preset=reflect&step=7", "input=abc"} {
		_, body := get(t, nil, srv.URL+"/conv?"+q)
		for _, bad := range []*regexp.Regexp{
			regexp.MustCompile(`(?i)<style`),
			regexp.MustCompile(`(?i)\sstyle=`),
			regexp.MustCompile(`(?i)\son[a-z]+=`),
			regexp.MustCompile(`(?i)javascript:`),
		} {
			if loc := bad.FindStringIndex(body); loc != nil {
				t.Errorf("%s: %q at %q", q, bad, body[max(0, loc[0]-40):min(len(body), loc[1]+40)])
			}
		}
		for _, m := range regexp.MustCompile(`<script([^>]*)>`).FindAllStringSubmatch(body, -1) {
			if !strings.Contains(m[1], `type="module" src="/static/`) && !strings.Contains(m[1], `type="application/json"`) {
				t.Errorf("%s: inline script <script%s>", q, m[1])
			}
		}
	}
}

// Our own JS and CSS for /conv stay under 100 KB together: every script
// and stylesheet the page loads, and the modules they import.
func TestConvPageWeight(t *testing.T) {
	_, srv := newTestServer(t)
	_, body := get(t, nil, srv.URL+"/conv?preset=lesson-5x5")
	var files []string
	for _, m := range regexp.MustCompile(`(?:src|href)="/static/([^"?]+)`).FindAllStringSubmatch(body, -1) {
		files = append(files, m[1])
	}
	seen := map[string]bool{}
	total := 0
	for i := 0; i < len(files); i++ {
		f := files[i]
		if seen[f] {
			continue
		}
		seen[f] = true
		b, err := fs.ReadFile(static.FS, f)
		if err != nil {
			t.Fatal(err)
		}
		total += len(b)
		// Follow the module's imports ("./grid.js").
		for _, m := range regexp.MustCompile(`from "\./([a-z0-9_-]+\.js)"`).FindAllStringSubmatch(string(b), -1) {
			files = append(files, "js/"+m[1])
		}
	}
	for _, want := range []string{"css/app.css", "css/conv.css", "js/visualizer.js", "js/grid.js", "js/stepper.js"} {
		if !seen[want] {
			t.Errorf("%s not counted (counted %v)", want, seen)
		}
	}
	if total > 100*1024 {
		t.Errorf("the visualizer's own JS+CSS weigh %d bytes, over 100 KB: %v", total, seen)
	}
	t.Logf("JS+CSS of /conv: %d bytes in %d files", total, len(seen))
}

// Without a script the back/next buttons are links to the same page one
// step away.
func TestConvPageStepLinks(t *testing.T) {
	vm, _ := convPageView("en", url.Values{"input": {"7"}, "kernel": {"3"}, "stride": {"2"}, "padding": {"1"}, "step": {"3"}})
	if vm.PrevURL != "/conv?input=7&kernel=3&padding=1&step=2&stride=2" {
		t.Errorf("PrevURL %q", vm.PrevURL)
	}
	if vm.NextURL != "/conv?input=7&kernel=3&padding=1&step=4&stride=2" {
		t.Errorf("NextURL %q", vm.NextURL)
	}
	first, _ := convPageView("en", url.Values{"preset": {"lesson-5x5"}})
	if first.PrevURL != "/conv?preset=lesson-5x5" || first.NextURL != "/conv?preset=lesson-5x5&step=2" {
		t.Errorf("preset links %q %q", first.PrevURL, first.NextURL)
	}
}

// BenchmarkConvPage measures building and rendering the visualizer for the
// largest lesson preset (28×28 MNIST digit: 676 traced steps).
func BenchmarkConvPage(b *testing.B) {
	for _, q := range []string{"preset=lesson-5x5", "preset=lesson-mnist"} {
		b.Run(q, func(b *testing.B) {
			v, _ := url.ParseQuery(q)
			ctx := context.Background()
			var n int
			b.ReportAllocs()
			for b.Loop() {
				vm, status := convPageView("en", v)
				if status != http.StatusOK {
					b.Fatal(status, vm.Error)
				}
				var sb strings.Builder
				if err := views.Conv(views.Page{Lang: "en"}, vm).Render(ctx, &sb); err != nil {
					b.Fatal(err)
				}
				n = sb.Len()
			}
			b.ReportMetric(float64(n), "page-bytes")
		})
	}
}

// FuzzConvPage: any query renders the page with 200 or 400, never a panic.
func FuzzConvPage(f *testing.F) {
	for _, q := range []string{
		"preset=lesson-mnist&step=99", "input=7&kernel=3&stride=2&padding=1", "input=5x3&kernel=3x1&padding=same",
		"transposed=1&input=3&stride=3&output_padding=2&dilation=2", "mode=circular&padding=4&input=4",
		"channels=4&filters=4&input=8&bias=1&b=1,2,3,4", "x=1,2&input=1x2&kernel=1", "preset=channels&channels=1",
		"input=32&kernel=7&padding=8&mode=reflect", "step=-1", "padding=valid&padkind=same",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		v, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		vm, status := convPageView("en", v)
		if status != http.StatusOK && status != http.StatusBadRequest {
			t.Fatalf("%q: status %d", q, status)
		}
		if (status == http.StatusOK) != (vm.Error == "") {
			t.Fatalf("%q: status %d with error %q", q, status, vm.Error)
		}
		if status == http.StatusOK && (vm.Step < 1 || vm.Step > vm.StepCount) {
			t.Fatalf("%q: step %d of %d", q, vm.Step, vm.StepCount)
		}
	})
}

// /conv/stage: the stage after an edit, rendered by the page's own
// components, in the reader's language; refusals are 422 with the reason.
func TestConvStage(t *testing.T) {
	_, srv := newTestServer(t)
	lesson, _ := convstate.PresetByName("lesson-5x5")
	small, _ := convstate.Parse(url.Values{"input": {"3"}, "kernel": {"3"}})
	body := func(s convstate.State, edit string) string {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		return `{"state": ` + string(b) + edit + `}`
	}
	for _, tc := range []struct {
		name, lang, body string
		status           int
		want             []string // in the fragment
		stage            bool     // the fragment has a stage
	}{
		{"a typed value", "en", body(lesson.State(), `, "cell": {"of": "x", "index": 0, "text": "4"}`), 200,
			[]string{`data-testid="current-sum">11<`, `4×1 + 2×0`, `"x_set":true`}, true},
		{"a step", "en", body(lesson.State(), `, "patch": {"step": 5}`), 200,
			[]string{`data-testid="step-index">5 / 9<`, `"query":"preset=lesson-5x5"`}, true},
		{"the form", "en", body(lesson.State(), `, "form": "input=7&kernel=3&stride=2&padkind=num&padding=1"`), 200,
			[]string{`4×4`, `"query":"input=7\u0026kernel=3\u0026padding=1\u0026stride=2\u0026w=1%2C0%2C1`}, true},
		{"a bad form value, Korean: the old stage stays", "ko", body(lesson.State(), `, "form": "input=abc&kernel=3"`), 422,
			[]string{"input 값은 3 같은 정수나 3x5 같은 높이×너비여야 합니다", `data-testid="current-sum">8<`}, true},
		{"an impossible configuration, Korean", "ko", body(small, `, "patch": {"kh": 5, "kw": 5}`), 422,
			[]string{"PyTorch 규칙에 맞지 않는 설정입니다: 커널 크기(5×5)가 패딩된 입력의 크기(3×3)보다 큽니다"}, false},
		{"a value out of bounds, Korean", "ko", body(small, `, "cell": {"of": "w", "index": 0, "text": "5000"}`), 422,
			[]string{"5000", "−1000"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, got := post(t, srv.URL+"/conv/stage?lang="+tc.lang, "application/json", tc.body)
			if resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("%d %s, want %d HTML:\n%.300s", resp.StatusCode, resp.Header.Get("Content-Type"), tc.status, got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("fragment lacks %q:\n%.2000s", w, got)
				}
			}
			if strings.Contains(got, "<html") || !strings.Contains(got, `id="conv-data"`) {
				t.Error("not a fragment with its data")
			}
			if strings.Contains(got, `id="conv-in-0"`) != tc.stage {
				t.Errorf("stage shown: %v, want %v", !tc.stage, tc.stage)
			}
		})
	}
	for _, tc := range []struct{ body, want string }{
		{`{}`, "state"},
		{`{"state": `, "JSON"},
		{`{"state": {"in_h": "five"}}`, "in_h"},
	} {
		resp, got := post(t, srv.URL+"/conv/stage", "application/json", tc.body)
		if resp.StatusCode != 400 || !strings.Contains(got, `"error"`) || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %d %s", tc.body, resp.StatusCode, got)
		}
	}
	// GET with the page's query.
	if resp, got := get(t, nil, srv.URL+"/conv/stage?preset=stride&step=3"); resp.StatusCode != 200 || !strings.Contains(got, `data-testid="step-index">3 / 4<`) {
		t.Errorf("GET stage: %d %.300s", resp.StatusCode, got)
	}
	if resp, got := get(t, nil, srv.URL+"/conv/stage?input=3&kernel=5&lang=ko"); resp.StatusCode != 422 || !strings.Contains(got, "커널 크기(5×5)") {
		t.Errorf("GET refused stage: %d %.300s", resp.StatusCode, got)
	}
}
