package server

import (
	"html"
	"image/gif"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/convlab/convlab/animations"
)

func TestAnimationClassicGIFs(t *testing.T) {
	a, srv := newTestServer(t)
	for _, c := range animations.Classic {
		resp, body := get(t, nil, srv.URL+"/animations/"+c.Name+".gif")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/gif" {
			t.Errorf("%s: %d %q", c.Name, resp.StatusCode, resp.Header.Get("Content-Type"))
			continue
		}
		g, err := gif.DecodeAll(strings.NewReader(body))
		if err != nil {
			t.Errorf("%s: %v", c.Name, err)
			continue
		}
		info, _ := animations.Measure(c.Params)
		if len(g.Image) != info.Frames || g.Config.Width != info.Width {
			t.Errorf("%s: %d frames %dpx wide, want %d and %d", c.Name, len(g.Image), g.Config.Width, info.Frames, info.Width)
		}
		etag := resp.Header.Get("ETag")
		if etag != animations.ETag(animations.KindGIF, c.Params) || !strings.HasPrefix(etag, `"`) {
			t.Errorf("%s: ETag %q", c.Name, etag)
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "public") || !strings.Contains(cc, "max-age=") {
			t.Errorf("%s: Cache-Control %q", c.Name, cc)
		}
		// Revalidation costs nothing.
		resp, body = get(t, nil, srv.URL+"/animations/"+c.Name+".gif", "If-None-Match", etag)
		if resp.StatusCode != http.StatusNotModified || body != "" || resp.Header.Get("ETag") != etag {
			t.Errorf("%s with If-None-Match: %d, %d bytes", c.Name, resp.StatusCode, len(body))
		}
		resp, body = get(t, nil, srv.URL+"/animations/"+c.Name+".png")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
			t.Errorf("%s.png: %d %q", c.Name, resp.StatusCode, resp.Header.Get("Content-Type"))
		} else if img, err := png.Decode(strings.NewReader(body)); err != nil || img.Bounds().Dx() != info.Width {
			t.Errorf("%s.png: %v", c.Name, err)
		}
	}
	// Each image was rendered once; asking again is served from memory.
	_, entries, _, renders := a.animations().Stats()
	if renders != int64(2*len(animations.Classic)) || entries != 2*len(animations.Classic) {
		t.Errorf("renders %d, entries %d; want %d", renders, entries, 2*len(animations.Classic))
	}
	get(t, nil, srv.URL+"/animations/dilation.gif")
	if _, _, hits, r := a.animations().Stats(); r != renders || hits < 1 {
		t.Errorf("a repeated request rendered again (renders %d → %d, hits %d)", renders, r, hits)
	}
}

func TestAnimationETagMatching(t *testing.T) {
	_, srv := newTestServer(t)
	p, _ := animations.Lookup("padding_strides")
	etag := animations.ETag(animations.KindGIF, p)
	for _, tc := range []struct {
		inm  string
		want int
	}{
		{etag, 304}, {"W/" + etag, 304}, {`"other", ` + etag, 304}, {"*", 304},
		{`"other"`, 200}, {"", 200}, {animations.ETag(animations.KindStill, p), 200},
	} {
		// The same animation spelled as a custom one shares the ETag.
		resp, _ := get(t, nil, srv.URL+"/animations/custom.gif?input=5x5&kernel=3&stride=2&padding=1", "If-None-Match", tc.inm)
		if resp.StatusCode != tc.want {
			t.Errorf("If-None-Match %q: %d, want %d", tc.inm, resp.StatusCode, tc.want)
		}
		if resp.Header.Get("ETag") != etag {
			t.Errorf("custom spelling of padding_strides: ETag %q, want %q", resp.Header.Get("ETag"), etag)
		}
	}
}

func TestAnimationCustomAndErrors(t *testing.T) {
	_, srv := newTestServer(t)
	for _, tc := range []struct {
		query  string
		status int
		want   string // in the body (error message) or "" for a GIF
	}{
		{"", 200, ""},
		{"input=6x4&kernel=3x2&stride=2x1&padding=1x0", 200, ""},
		{"input=3&kernel=3&stride=2&padding=1&transposed=1&output_padding=1", 200, ""},
		{"input=7&kernel=3&dilation=2", 200, ""},
		{"input=5&kernel=3&stride=2&padding=1&numbers=1", 200, ""},
		{"input=32x12&kernel=1&numbers=1", 400, "numbers need cells"},
		{"numbers=lots", 400, "numbers"},
		{"input=abc", 400, "input"},
		{"input=0", 400, "input must be between 1 and 32"},
		{"input=33", 400, "input must be between 1 and 32"},
		{"kernel=10", 400, "kernel must be between 1 and 9"},
		{"input=3&kernel=5", 400, "larger than the padded input"},
		{"stride=0", 400, "stride"},
		{"padding=-1", 400, "padding"},
		{"output_padding=1", 400, "output_padding"},
		{"transposed=1&stride=2&output_padding=2", 400, "output_padding must be smaller"},
		{"transposed=perhaps", 400, "transposed"},
		{"input=3&input=4", 400, "given 2 times"},
		{"input=32&kernel=1", 400, "too many frames"},
		{"input=32&kernel=9&stride=8&dilation=8&transposed=1", 400, "too large"},
		{"input=" + strings.Repeat("9", 5000), 400, "too long"},
	} {
		resp, body := get(t, nil, srv.URL+"/animations/custom.gif?"+tc.query)
		if resp.StatusCode != tc.status {
			t.Errorf("custom.gif?%.60s: %d, want %d (%.80q)", tc.query, resp.StatusCode, tc.status, body)
			continue
		}
		if tc.status == 200 {
			if _, err := gif.DecodeAll(strings.NewReader(body)); err != nil {
				t.Errorf("custom.gif?%s: %v", tc.query, err)
			}
			continue
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("custom.gif?%.60s: error as %q, want plain text", tc.query, ct)
		}
		if !strings.Contains(body, tc.want) || len(body) > 400 {
			t.Errorf("custom.gif?%.60s: message %q, want one mentioning %q", tc.query, body, tc.want)
		}
		if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("ETag") != "" {
			t.Errorf("custom.gif?%.60s: an error is cacheable", tc.query)
		}
	}
	for _, path := range []string{"/animations/nope.gif", "/animations/dilation", "/animations/dilation.jpg", "/animations/custom.webp", "/animations/..%2fapp.css"} {
		resp, body := get(t, nil, srv.URL+path)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404 (%q)", path, resp.StatusCode, body)
		}
	}
	resp, body := get(t, nil, srv.URL+"/animations/nope.gif")
	if !strings.Contains(body, "no_padding_no_strides") {
		t.Errorf("404 for an unknown name does not list the names: %q (%d)", body, resp.StatusCode)
	}
}

func TestAnimationsPage(t *testing.T) {
	_, srv := newTestServer(t)
	resp, body := get(t, nil, srv.URL+"/animations")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /animations: %d", resp.StatusCode)
	}
	if !strings.Contains(body, "/static/css/animations.css?v=") {
		t.Error("the page does not load animations.css")
	}
	for _, c := range animations.Classic {
		info, _ := animations.Measure(c.Params)
		img := `<img src="/animations/` + c.Name + `.gif" width="` + strconv.Itoa(info.Width) + `" height="` + strconv.Itoa(info.Height) + `" alt="`
		if !strings.Contains(body, img) {
			t.Errorf("no %s", img)
		}
		if !strings.Contains(body, `srcset="/animations/`+c.Name+`.png"`) {
			t.Errorf("no still for %s", c.Name)
		}
		conv := html.EscapeString(c.Params.ConvURL())
		if !strings.Contains(body, `href="`+conv+`"`) {
			t.Errorf("no visualizer link %s", conv)
		}
		rs, _ := c.Params.Relations()
		for _, r := range rs {
			if !strings.Contains(body, html.EscapeString(r.Filled)) {
				t.Errorf("%s: formula %q not on the page", c.Name, r.Filled)
			}
		}
	}
	if !strings.Contains(body, `href="/conv?input=3&amp;kernel=3&amp;output_padding=1&amp;padding=1&amp;stride=2&amp;transposed=1"`) {
		t.Error("the odd transposed animation's visualizer link lacks transposed=1&output_padding=1")
	}
	if n := strings.Count(body, "numbers=1#anim-custom-h"); n != len(animations.Classic) {
		t.Errorf("%d \"with numbers\" links, want one per classic animation", n)
	}
	if want := len(animations.Classic) + len(animations.ClassicPool); strings.Count(body, `loading="lazy"`) != want {
		t.Errorf("%d lazy images, want %d", strings.Count(body, `loading="lazy"`), want)
	}
	if strings.Contains(body, "anim.") {
		t.Error("an untranslated anim. key shows on the page")
	}
	if strings.Contains(body, `data-testid="anim-error"`) || strings.Contains(body, "custom.gif") {
		t.Error("the plain page shows an error or a preview")
	}

	_, body = get(t, nil, srv.URL+"/animations?lang=ko")
	for _, want := range []string{"합성곱 연산 애니메이션", "스트라이드", "패딩", "전치 합성곱"} {
		if !strings.Contains(body, want) {
			t.Errorf("Korean page lacks %q", want)
		}
	}
	if strings.Contains(body, "anim.") {
		t.Error("an untranslated anim. key shows on the Korean page")
	}
}

func TestAnimationsPageCustomForm(t *testing.T) {
	_, srv := newTestServer(t)
	q := url.Values{"input": {"6x5"}, "kernel": {"3"}, "stride": {"2"}, "padding": {"1"}, "dilation": {"1"}, "output_padding": {"0"}}
	resp, body := get(t, nil, srv.URL+"/animations?"+q.Encode())
	if resp.StatusCode != 200 {
		t.Fatalf("custom form: %d", resp.StatusCode)
	}
	p := animations.Params{Input: [2]int{6, 5}, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}
	src := html.EscapeString("/animations/custom.gif?" + p.Query())
	if !strings.Contains(body, `<img src="`+src+`"`) {
		t.Errorf("no preview %s", src)
	}
	if !strings.Contains(body, `href="`+src+`" download="`) {
		t.Error("no download link for the preview")
	}
	if !strings.Contains(body, `value="6x5"`) {
		t.Error("the form does not keep what was typed")
	}
	// Two axes differ: one formula each.
	if !strings.Contains(body, "H:") || !strings.Contains(body, "W:") {
		t.Error("a rectangular configuration shows one formula")
	}
	// The preview's URL serves a GIF.
	resp, _ = get(t, nil, srv.URL+html.UnescapeString(src))
	if resp.StatusCode != 200 {
		t.Errorf("preview GIF: %d", resp.StatusCode)
	}

	// With numbers: the preview asks for them, the checkbox stays ticked.
	_, body = get(t, nil, srv.URL+"/animations?input=4&kernel=3&numbers=1")
	if !strings.Contains(body, html.EscapeString("/animations/custom.gif?input=4&kernel=3&stride=1&padding=0&dilation=1&numbers=1")) ||
		!strings.Contains(body, `name="numbers" value="1" checked`) {
		t.Error("numbers=1 is lost on the way to the preview or the form")
	}

	resp, body = get(t, nil, srv.URL+"/animations?input=40&kernel=3")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `data-testid="anim-error"`) ||
		!strings.Contains(body, "input must be between 1 and 32") || !strings.Contains(body, `value="40"`) {
		t.Errorf("bad custom form: %d, error shown %v", resp.StatusCode, strings.Contains(body, "anim-error"))
	}
	if strings.Contains(body, "custom.gif") {
		t.Error("a bad configuration still shows a preview")
	}
	// Typed text comes back escaped.
	_, body = get(t, nil, srv.URL+"/animations?input="+url.QueryEscape(`<script>x</script>`))
	if strings.Contains(body, "<script>x") {
		t.Error("the form echoes unescaped input")
	}
}

// The parameter parser as the server sees it: whatever the query, the
// answer is a GIF or a 4xx with a message, never a 5xx.
func FuzzAnimationQuery(f *testing.F) {
	for _, c := range animations.Classic {
		f.Add(c.Params.Query())
	}
	f.Add("input=%zz")
	f.Add("input=32&kernel=9&dilation=8")
	f.Add("transposed=1&input=1&kernel=1&padding=3")
	a, err := newApp(defaultConfig(), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { a.Close() })
	h := a.handler()
	f.Fuzz(func(t *testing.T, raw string) {
		if strings.ContainsAny(raw, " #\x00\r\n\t") || len(raw) > 256 {
			return // not a request line a client can send
		}
		req, err := http.NewRequest(http.MethodGet, "/animations/custom.gif?"+raw, nil)
		if err != nil {
			return
		}
		if info, err := func() (animations.Info, error) {
			p, err := animations.ParseQuery(req.URL.Query())
			if err != nil {
				return animations.Info{}, err
			}
			return animations.Measure(p)
		}(); err == nil && info.Frames > 60 {
			return // big renders are benchmarked, not fuzzed
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("custom.gif?%s: %d %q", raw, rec.Code, rec.Body.String())
		}
		if rec.Code >= 400 && rec.Body.Len() < 5 {
			t.Fatalf("custom.gif?%s: %d without a message", raw, rec.Code)
		}
	})
}
