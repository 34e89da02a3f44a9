package server

import (
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/convlab/convlab/i18n"
	"golang.org/x/net/html"
)

// The pages every language test visits.
var i18nPages = []string{"/", "/conv", "/conv?preset=lesson-5x5", "/conv/backward?preset=lesson-5x5&grad=random&phase=dx", "/lesson", "/animations", "/train", "/draw", "/quiz?kind=cell&seed=1", "/quiz?kind=size&seed=2", "/quiz?kind=padding&seed=3", "/network?layer=softmax&c=1", "/conv/pool?preset=ceil&step=3"}

// visibleText is the text a reader sees (and a screen reader reads: the
// title and aria-label/alt/placeholder attributes too), without scripts,
// JSON blocks, code and option labels, which are the same in every
// language, and without text in another language (lang=).
func visibleText(t *testing.T, page string) []string {
	return visibleTextSkipping(t, page, func(n *html.Node) bool {
		switch n.Data {
		case "script", "style", "code", "kbd", "option":
			return true
		}
		return hasLangAttr(n)
	})
}

// visibleTextSkipping is the text of page's text nodes and its
// aria-label, alt, placeholder and title attributes, in document order,
// leaving out every element (and what is inside it) that skip names.
func visibleTextSkipping(t *testing.T, page string, skip func(*html.Node) bool) []string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if skip(n) {
				return
			}
			for _, a := range n.Attr {
				if a.Key == "aria-label" || a.Key == "alt" || a.Key == "placeholder" || a.Key == "title" {
					out = append(out, a.Val)
				}
			}
		}
		if n.Type == html.TextNode {
			if s := strings.TrimSpace(n.Data); s != "" {
				out = append(out, s)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// hasLangAttr: n is in another language than the page (lang= on any
// element but <html>): language names are written in their own language
// on purpose.
func hasLangAttr(n *html.Node) bool {
	for _, a := range n.Attr {
		if a.Key == "lang" && n.Data != "html" {
			return true
		}
	}
	return false
}

// englishRun finds two or more English words in a row.
var englishRun = regexp.MustCompile(`[A-Za-z]{2,}(?:[ ,'-]+[A-Za-z]{2,})+`) // not across dots: safetensors.torch.load_file is code

// allowedLatin are Latin-script words that stay as they are in Korean
// pages: names, code and PyTorch's own parameter names and values.
var allowedLatin = regexp.MustCompile(`^(?:convlab|PyTorch|MNIST|ReLU|SGD|Adam|GIF|GIFs|CNN|CNNs|Enter|Space|Esc|Tab|Shift|Page|Up|Down|zeros|reflect|replicate|circular|same|valid|dilation|bias|transposed|padding_mode|output_padding|kernel_size|stride|padding|groups|Conv2d|ConvTranspose2d|MaxPool2d|AvgPool2d|ceil_mode|count_include_pad|True|False|nn|torch|Size|HxW|H|W|x|k|p|s|d|Dumoulin|Visin|[ ,.'()-])+$`)

// paperTitle is cited by its English title on /animations.
const paperTitle = "A guide to convolution arithmetic for deep learning"

// TestPagesInKorean: every page in Korean has <html lang="ko">, a Korean
// heading, and no English sentence that bypassed the catalogue.
func TestPagesInKorean(t *testing.T) {
	_, srv := newTestServer(t)
	for _, path := range i18nPages {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		resp, body := get(t, nil, srv.URL+path+sep+"lang=ko")
		if resp.StatusCode != 200 {
			t.Errorf("%s: status %d", path, resp.StatusCode)
			continue
		}
		if !strings.Contains(body, `<html lang="ko">`) {
			t.Errorf("%s: no <html lang=\"ko\">", path)
		}
		h1 := regexp.MustCompile(`(?s)<h1[^>]*>(.*?)</h1>`).FindStringSubmatch(body)
		if h1 == nil || !hasHangul(h1[1]) {
			t.Errorf("%s: the heading is not Korean: %q", path, h1)
		}
		var english []string
		for _, s := range visibleText(t, body) {
			for _, run := range englishRun.FindAllString(s, -1) {
				if !allowedLatin.MatchString(run) && !strings.Contains(paperTitle, run) {
					english = append(english, run)
				}
			}
		}
		if len(english) > 0 {
			t.Errorf("%s in Korean still shows English: %q", path, english)
		}
		// The same page in English has no Korean.
		_, body = get(t, nil, srv.URL+path+sep+"lang=en")
		if !strings.Contains(body, `<html lang="en">`) {
			t.Errorf("%s: no <html lang=\"en\">", path)
		}
		for _, s := range visibleText(t, body) {
			if hasHangul(s) {
				t.Errorf("%s in English shows Korean: %q", path, s)
			}
		}
	}
}

func hasHangul(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Hangul, r) })
}

// TestScriptMessagesInKorean: the messages each page hands its script are
// the Korean ones.
func TestScriptMessagesInKorean(t *testing.T) {
	_, srv := newTestServer(t)
	for _, tc := range []struct{ path, key string }{
		{"/conv", "conv.play"},
		{"/conv", "class.following"},
		{"/train", "train.start"},
		{"/draw", "draw.clear"},
	} {
		_, body := get(t, nil, srv.URL+tc.path+"?lang=ko")
		want := i18n.TL("ko", tc.key)
		if want == tc.key || !hasHangul(want) {
			t.Fatalf("ko.txt has no Korean %s", tc.key)
		}
		if !strings.Contains(body, `"`+tc.key+`":"`+want+`"`) {
			t.Errorf("%s in Korean: the script's messages lack %s = %q", tc.path, tc.key, want)
		}
	}
}

// TestLanguageChoice: ?lang= wins and is remembered in a cookie, the
// cookie wins over Accept-Language, and Accept-Language decides the first
// visit (English when it names no language we have).
func TestLanguageChoice(t *testing.T) {
	_, srv := newTestServer(t)
	lang := func(body string) string {
		m := regexp.MustCompile(`<html lang="(\w+)">`).FindStringSubmatch(body)
		if m == nil {
			return ""
		}
		return m[1]
	}
	for _, tc := range []struct{ accept, want string }{
		{"ko-KR,ko;q=0.9,en-US;q=0.8", "ko"},
		{"ko", "ko"},
		{"en-US,en;q=0.9", "en"},
		{"fr-FR,fr;q=0.9,ko;q=0.5", "ko"},
		{"fr-FR", "en"},
		{"", "en"},
	} {
		if _, body := get(t, nil, srv.URL+"/conv", "Accept-Language", tc.accept); lang(body) != tc.want {
			t.Errorf("Accept-Language %q: page in %q, want %q", tc.accept, lang(body), tc.want)
		}
	}

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, body := get(t, client, srv.URL+"/?lang=ko", "Accept-Language", "en")
	if lang(body) != "ko" {
		t.Fatalf("?lang=ko: page in %q", lang(body))
	}
	if !slices.ContainsFunc(resp.Cookies(), func(c *http.Cookie) bool { return c.Name == "lang" && c.Value == "ko" }) {
		t.Errorf("?lang=ko sets no lang cookie: %v", resp.Cookies())
	}
	// Remembered on every other page, over an English browser.
	for _, path := range i18nPages {
		if _, body := get(t, client, srv.URL+path, "Accept-Language", "en-US"); lang(body) != "ko" {
			t.Errorf("%s after ?lang=ko: page in %q", path, lang(body))
		}
	}
	// The language links keep the page (and switch back).
	_, body = get(t, client, srv.URL+"/conv?preset=stride")
	if !strings.Contains(body, `href="/conv?lang=en&amp;preset=stride"`) {
		t.Errorf("/conv's English link does not keep the page")
	}
	if _, body := get(t, client, srv.URL+"/draw?lang=en"); lang(body) != "en" {
		t.Errorf("?lang=en over the ko cookie: %q", lang(body))
	}
	if _, body := get(t, client, srv.URL+"/train"); lang(body) != "en" {
		t.Errorf("after ?lang=en the cookie still says %q", lang(body))
	}
	// A language we do not have is ignored.
	if _, body := get(t, nil, srv.URL+"/?lang=xx", "Accept-Language", "ko"); lang(body) != "ko" {
		t.Errorf("?lang=xx: page in %q, want the Accept-Language choice", lang(body))
	}
}

// TestEngineMessages: pages and /api/conv say the engine's reasons in the
// reader's language, by the error's code (the catalogue itself is checked
// against the engine in internal/apperr: TestEngineCatalogue,
// TestEngineMessages).
func TestEngineMessages(t *testing.T) {
	_, srv := newTestServer(t)
	for _, tc := range []struct{ query, ko, en string }{
		{"input=3&kernel=5", "커널 크기(5×5)가 패딩된 입력의 크기(3×3)보다 큽니다", "kernel 5×5 is larger than the padded input 3×3"},
		{"input=4&kernel=3&dilation=3", "팽창된 커널의 크기(7×7)가 패딩된 입력의 크기(4×4)보다 큽니다", "kernel (dilated) 7×7 is larger than the padded input 4×4"},
		{"input=5&kernel=3&padding=same&stride=2", "스트라이드: 2×2", "got stride 2×2"},
		{"input=3&kernel=3&padding=3&mode=reflect", "입력 높이 3에 패딩 3", "padding 3 on an input height of 3"},
	} {
		if _, body := get(t, nil, srv.URL+"/conv?lang=ko&"+tc.query); !strings.Contains(body, tc.ko) {
			t.Errorf("/conv?%s in Korean lacks %q", tc.query, tc.ko)
		}
		if _, body := get(t, nil, srv.URL+"/conv?lang=en&"+tc.query); !strings.Contains(html.UnescapeString(body), tc.en) {
			t.Errorf("/conv?%s in English lacks %q", tc.query, tc.en)
		}
	}
	body := `{"input": [[[1,2,3],[4,5,6],[7,8,9]]], "weight": [[[[1,1,1,1,1],[1,1,1,1,1],[1,1,1,1,1],[1,1,1,1,1],[1,1,1,1,1]]]]}`
	resp, got := post(t, srv.URL+"/api/conv", "application/json", body, "Cookie", "lang=ko")
	if resp.StatusCode != 422 || !strings.Contains(got, "커널 크기(5×5)가 패딩된 입력의 크기(3×3)보다 큽니다") {
		t.Errorf("/api/conv in Korean: %d %s", resp.StatusCode, got)
	}
	resp, got = post(t, srv.URL+"/api/conv", "application/json", body)
	if resp.StatusCode != 422 || !strings.Contains(got, `"kernel 5×5 is larger than the padded input 3×3"`) {
		t.Errorf("/api/conv in English: %d %s", resp.StatusCode, got)
	}
}

// TestUserTextNotExpanded (the #18 finding): a placeholder typed into the
// URL is shown as typed, once. The old formatter replaced each "{1}" in
// the unknown preset's name with the list of presets: 9,000 of them made
// a 2.8 MB page.
func TestUserTextNotExpanded(t *testing.T) {
	_, srv := newTestServer(t)
	name := strings.Repeat("{1}", 9000)
	for _, lang := range i18n.Langs {
		resp, body := get(t, nil, srv.URL+"/conv?lang="+lang+"&preset="+name)
		if resp.StatusCode != 400 {
			t.Errorf("%s: status %d, want 400", lang, resp.StatusCode)
		}
		msg := regexp.MustCompile(`(?s)id="conv-error"[^>]*>(.*?)</p>`).FindStringSubmatch(body)
		if msg == nil {
			t.Fatalf("%s: no error message on the page", lang)
		}
		// The name as typed (perhaps shortened), never expanded.
		if len(msg[1]) > len(name)+2000 || !strings.Contains(msg[1], "{1}{1}{1}") {
			t.Errorf("%s: the message is %d bytes for a %d-byte preset name (want the name as typed): %.300s", lang, len(msg[1]), len(name), msg[1])
		}
		if len(body) > 1<<20 {
			t.Errorf("%s: the page is %d bytes", lang, len(body))
		}
	}
}
