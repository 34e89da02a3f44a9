package server

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/convlab/convlab/animations"
	"github.com/convlab/convlab/internal/browsertest"
)

// allImagesLoaded scrolls every image into view (they are lazy) and
// reports, once all have finished, how many decoded with a size.
const allImagesLoaded = `(() => {
	const imgs = [...document.querySelectorAll("main img")];
	for (const img of imgs) if (!img.complete) img.scrollIntoView({block: "center"});
	if (!imgs.every((img) => img.complete)) return false;
	return {n: imgs.length, ok: imgs.filter((img) => img.naturalWidth > 0).length,
		srcs: imgs.map((img) => img.currentSrc)};
})()`

type imgReport struct {
	N    int      `json:"n"`
	OK   int      `json:"ok"`
	Srcs []string `json:"srcs"`
}

// The gallery in a real browser: every animation (and the custom preview)
// loads and decodes, with no console error or CSP violation; with reduced
// motion the stills are shown instead.
func TestAnimationsPageInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)

	b.Run(t, chromedp.Navigate(srv.URL+"/animations?input=6x5&kernel=3&stride=2&padding=1"))
	b.Wait(t, allImagesLoaded)
	r := browsertest.Eval[imgReport](t, b, allImagesLoaded)
	if want := len(animations.Classic) + len(animations.ClassicPool) + 1; r.N != want || r.OK != want {
		t.Errorf("%d images, %d loaded; want %d and %d: %v", r.N, r.OK, want, want, r.Srcs)
	}
	for _, s := range r.Srcs {
		if !strings.Contains(s, ".gif") {
			t.Errorf("without reduced motion %s is shown, want the GIF", s)
		}
	}
	b.Screenshot(t, "gallery")

	// Reduced motion: the <picture> swaps in the still PNGs.
	b.Run(t, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
		})
		return err
	}))
	b.Run(t, chromedp.Navigate(srv.URL+"/animations?lang=ko"))
	b.Wait(t, allImagesLoaded)
	r = browsertest.Eval[imgReport](t, b, allImagesLoaded)
	if r.N != len(animations.Classic)+len(animations.ClassicPool) || r.OK != r.N {
		t.Errorf("reduced motion: %d images, %d loaded", r.N, r.OK)
	}
	for _, s := range r.Srcs {
		if !strings.Contains(s, ".png") {
			t.Errorf("with reduced motion %s is shown, want the still PNG", s)
		}
	}
	if !browsertest.Eval[bool](t, b, `getComputedStyle(document.querySelector(".anim-motion-note")).display !== "none"`) {
		t.Error("the reduced-motion note is hidden")
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}

// The custom form on the Korean page: an impossible configuration is
// refused with the engine's reason in Korean (issue 12), and so is one
// over the animation bounds.
func TestAnimationsCustomFormKoreanRefusal(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	b.Run(t, chromedp.Navigate(srv.URL+"/animations?lang=ko"))
	for _, tc := range []struct{ input, kernel, want string }{
		{"3", "5", "커널 크기(5×5)가 패딩된 입력의 크기(3×3)보다 큽니다"},
		{"4", "12", "kernel 값은 1에서 9 사이여야 합니다. 입력한 값: 12"},
	} {
		b.Run(t,
			chromedp.WaitVisible("#anim-input"),
			chromedp.SetValue("#anim-input", tc.input),
			chromedp.SetValue("#anim-kernel", tc.kernel),
			chromedp.Click(".anim-submit button"),
		)
		b.Wait(t, `(() => { const e = document.querySelector("[data-testid=anim-error]"); return e !== null && location.search.includes("kernel=`+tc.kernel+`"); })()`)
		got := browsertest.Eval[string](t, b, `document.querySelector("[data-testid=anim-error]").textContent`)
		if !strings.Contains(got, tc.want) || !hasHangul(got) {
			t.Errorf("input %s kernel %s: the refusal says %q, want %q", tc.input, tc.kernel, got, tc.want)
		}
		if lang := browsertest.Eval[string](t, b, `document.documentElement.lang`); lang != "ko" {
			t.Errorf("page language %q after the form", lang)
		}
	}
	b.Screenshot(t, "animations-ko-refusal")
	for _, e := range b.ConsoleErrors() {
		if !strings.Contains(e, "status of 400") { // the refused form answers 400, by design
			t.Errorf("console error: %q", e)
		}
	}
}
