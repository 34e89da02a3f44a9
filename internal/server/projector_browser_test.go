package server

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/convlab/convlab/internal/browsertest"
	"github.com/convlab/convlab/internal/convstate"
)

// projectorW, projectorH: the classroom projector the QA pass used.
const projectorW, projectorH = 1280, 800

// stageGeometry measures the visualizer's stage in presenter mode and
// returns what is wrong with it (empty: nothing), plus the measured numbers
// for the log. Every grid whose numbers show (not a heat map) must have
// cells with text of at least minFont px, each number inside its cell;
// every cell must be inside the stage, inside its scroll box and on
// screen; no caption may lie on another grid's cells; "This step" must
// show all of its content (no inner scrolling, nothing past its edge).
const stageGeometry = `((minFont) => {
	const bad = [], out = {};
	const stage = document.querySelector("#conv-stage");
	if (!stage) return {bad: ["no stage"], out};
	const S = stage.getBoundingClientRect();
	const tables = [...stage.querySelectorAll("table.grid")];
	let minFs = 1e9, minCell = 1e9, heat = 0;
	const inRect = (r, b) => r.top >= b.top - 0.5 && r.bottom <= b.bottom + 0.5 && r.left >= b.left - 0.5 && r.right <= b.right + 0.5;
	const fmt = (r) => [r.left, r.top, r.right, r.bottom].map(Math.round).join(",");
	for (const tb of tables) {
		const isHeat = stage.classList.contains("heat") && !tb.classList.contains("kernel");
		if (isHeat) heat++;
		const box = tb.closest(".grid-wrap");
		for (const td of tb.querySelectorAll("td")) {
			const r = td.getBoundingClientRect();
			minCell = Math.min(minCell, r.width, r.height);
			if (!isHeat) {
				const fs = parseFloat(getComputedStyle(td).fontSize);
				minFs = Math.min(minFs, fs);
				if (fs < minFont) { bad.push(tb.id + ": text " + fs.toFixed(1) + " px"); break; }
				if (td.scrollWidth > td.clientWidth + 1) { bad.push(tb.id + ": a number wider than its cell (" + td.textContent + ")"); break; }
			}
			if (!inRect(r, S)) { bad.push(tb.id + ": a cell outside the stage " + fmt(r) + " not in " + fmt(S)); break; }
			if (r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5) { bad.push(tb.id + ": a cell off screen " + fmt(r)); break; }
			if (box && !isHeat && !inRect(r, box.getBoundingClientRect())) { bad.push(tb.id + ": a cell scrolled out of its box"); break; }
		}
	}
	for (const cap of stage.querySelectorAll("table.grid caption")) {
		const c = cap.getBoundingClientRect();
		for (const tb of tables) {
			if (tb.contains(cap)) continue;
			const body = tb.tBodies[0].getBoundingClientRect();
			if (c.left < body.right && c.right > body.left && c.top < body.bottom - 0.5 && c.bottom > body.top + 0.5)
				bad.push("caption " + JSON.stringify(cap.textContent) + " lies on " + tb.id);
		}
	}
	const det = stage.querySelector(".conv-detail");
	const D = det.getBoundingClientRect();
	if (det.scrollHeight > det.clientHeight + 1) bad.push("This step scrolls: " + det.scrollHeight + " > " + det.clientHeight);
	if (!inRect(D, S) || D.bottom > innerHeight + 0.5) bad.push("This step is cut off: " + fmt(D) + " stage " + fmt(S));
	for (const e of det.querySelectorAll("#conv-detail > *:not(template)")) {
		const r = e.getBoundingClientRect();
		if (r.height > 0 && !inRect(r, D)) bad.push("This step: " + e.className + " is past its edge");
	}
	out.minFont = minFs === 1e9 ? 0 : +minFs.toFixed(1);
	out.minCell = +minCell.toFixed(1);
	out.heat = heat;
	out.noEq = stage.classList.contains("no-eq");
	out.detail = det.clientHeight + "/" + det.scrollHeight;
	return {bad, out};
})`

type stageReport struct {
	Bad []string       `json:"bad"`
	Out map[string]any `json:"out"`
}

// openPresent loads path in presenter mode at w×h and waits for fit.js.
func openPresent(t *testing.T, b *browsertest.Browser, url string, w, h int64) {
	t.Helper()
	b.Run(t, chromedp.EmulateViewport(w, h), chromedp.Navigate(url))
	b.Wait(t, `window.convlabVisualizer`)
	b.Wait(t, `new Promise(r => requestAnimationFrame(() => setTimeout(() => r(true), 300)))`)
	if !browsertest.Eval[bool](t, b, `!!document.querySelector("#conv.fitted")`) {
		b.Screenshot(t, "unfitted")
		t.Fatalf("%s at %d×%d: the stage is not fitted to the screen", url, w, h)
	}
}

// TestProjectorStageReadable (QA findings 2 and 3): on a 1280×800
// projector the multi-channel and the transposed presets show every
// grid's numbers at 14 px or more, nothing overlapping or cut off, and
// "This step" whole, at the first step and later ones; also at 1920×1080,
// 1366×768, 1280×720 and (but for the channels) 1024×768.
func TestProjectorStageReadable(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	big := [][2]int64{{projectorW, projectorH}, {1920, 1080}, {1366, 768}, {1280, 720}}
	all := append([][2]int64{{1024, 768}}, big...)
	for _, tc := range []struct {
		preset string
		steps  []int
		sizes  [][2]int64
	}{
		// Three padded 7×7 channels with 27 products do not fit 1024×768
		// with 14 px numbers: there the page scrolls (not tested here).
		{"channels", []int{1, 5, 18}, big},
		{"transposed", []int{1, 13, 25}, all},
		{"lesson-4x4", []int{1, 4}, all},
	} {
		for _, size := range tc.sizes {
			for _, lang := range []string{"en", "ko"} {
				openPresent(t, b, fmt.Sprintf("%s/conv?preset=%s&present=1&lang=%s", srv.URL, tc.preset, lang), size[0], size[1])
				for _, step := range tc.steps {
					b.Wait(t, fmt.Sprintf(`window.convlabVisualizer.setState({step: %d}).then(() => true)`, step))
					name := fmt.Sprintf("%dx%d %s %s step %d", size[0], size[1], tc.preset, lang, step)
					r := browsertest.Eval[stageReport](t, b, stageGeometry+`(14)`)
					t.Logf("%s: %v", name, r.Out)
					if len(r.Bad) > 0 {
						t.Errorf("%s: %s", name, strings.Join(r.Bad, "; "))
					}
					if len(r.Bad) > 0 || step == tc.steps[0] {
						b.Screenshot(t, strings.ReplaceAll(name, " ", "-"))
					}
				}
			}
		}
	}
}

// TestProjectorDigitHeatMap (QA finding 4): on a 1280×800 projector the
// 28×28 MNIST digit (the preset and lesson stop 4) draws no numbers under
// 14 px: it is a heat map whose whole grid is on screen (its box does not
// scroll), "This step" is whole with ≥ 14 px products, and a hovered cell
// shows the server's number for it in a ≥ 14 px label.
func TestProjectorDigitHeatMap(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	for _, path := range []string{"/conv?preset=lesson-mnist&step=164", "/lesson/4"} {
		for _, lang := range []string{"en", "ko"} {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			name := path + " " + lang
			openPresent(t, b, srv.URL+path+sep+"present=1&lang="+lang, projectorW, projectorH)
			// The lesson's text comes first: the presenter scrolls to the visualizer.
			b.Wait(t, `(document.getElementById("conv").scrollIntoView({block: "start"}), new Promise(r => setTimeout(() => r(true), 200)))`)
			r := browsertest.Eval[stageReport](t, b, stageGeometry+`(14)`)
			t.Logf("%s: %v", name, r.Out)
			if len(r.Bad) > 0 {
				t.Errorf("%s: %s", name, strings.Join(r.Bad, "; "))
			}
			bad := browsertest.Eval[[]string](t, b, `(() => {
				const bad = [];
				for (const id of ["conv-in-0", "conv-out-0"]) {
					const tb = document.getElementById(id), box = tb.closest(".grid-wrap");
					if (box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1)
						bad.push(id + " scrolls in its box: " + box.scrollWidth + "×" + box.scrollHeight + " in " + box.clientWidth + "×" + box.clientHeight);
					for (const td of tb.querySelectorAll("td")) {
						const cs = getComputedStyle(td), fs = parseFloat(cs.fontSize);
						const drawn = td.textContent.trim() !== "" && fs > 0 && cs.color !== "rgba(0, 0, 0, 0)";
						if (drawn && fs < 14) { bad.push(id + ": a number drawn at " + fs + " px"); break; }
					}
				}
				for (const li of document.querySelectorAll("#conv-detail .terms li")) {
					const fs = parseFloat(getComputedStyle(li).fontSize);
					if (fs < 14) { bad.push("a product at " + fs + " px"); break; }
				}
				return bad;
			})()`)
			for _, m := range bad {
				t.Errorf("%s: %s", name, m)
			}
			// It opens on the stroke, not on the blank corner.
			if sum := browsertest.Eval[string](t, b, `document.querySelector('[data-testid="current-sum"]').textContent`); sum == "0" {
				t.Errorf("%s: the step shown multiplies only background (sum 0)", name)
			}
			// Hover the middle of the window: its label is the cell's own
			// number, as the server rendered it.
			pos := browsertest.Eval[[]float64](t, b, `(() => { const tds = [...document.querySelectorAll("#conv-in-0 td.tap")];
				const r = tds[tds.length >> 1].getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`)
			b.Run(t, chromedp.MouseEvent(chromedp.MouseMoved, pos[0], pos[1]))
			got := browsertest.Eval[[]string](t, b, fmt.Sprintf(`(() => { const td = document.elementFromPoint(%f, %f);
				const cs = getComputedStyle(td, "::before"); return [td.textContent, cs.content, cs.fontSize]; })()`, pos[0], pos[1]))
			if want := `"` + got[0] + `"`; got[1] != want || got[0] == "" {
				t.Errorf("%s: a hovered cell shows %s, want its number %s", name, got[1], want)
			}
			if fs, err := strconv.ParseFloat(strings.TrimSuffix(got[2], "px"), 64); err != nil || fs < 14 {
				t.Errorf("%s: the hovered cell's label is %s", name, got[2])
			}
			// A corner cell's label stays inside the grid's box.
			for _, corner := range []string{"tr:first-child td:first-child", "tr:first-child td:last-child", "tr:last-child td:first-child", "tr:last-child td:last-child"} {
				pos := browsertest.Eval[[]float64](t, b, `(() => { const r = document.querySelector("#conv-in-0 `+corner+`").getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`)
				b.Run(t, chromedp.MouseEvent(chromedp.MouseMoved, pos[0], pos[1]))
				out := browsertest.Eval[string](t, b, `(() => {
					const td = document.querySelector("#conv-in-0 `+corner+`"), cs = getComputedStyle(td, "::before");
					if (cs.content === "none") return "no label";
					const c = td.getBoundingClientRect(), box = td.closest(".grid-wrap").getBoundingClientRect();
					const ctx = document.createElement("canvas").getContext("2d");
					ctx.font = cs.fontWeight + " " + cs.fontSize + " " + cs.fontFamily;
					const w = ctx.measureText(td.textContent).width + parseFloat(cs.paddingLeft) + parseFloat(cs.paddingRight) + 2 * parseFloat(cs.borderLeftWidth);
					const h = parseFloat(cs.height);
					const left = cs.left !== "auto" && cs.transform === "none" ? c.left + parseFloat(cs.left) : cs.right !== "auto" && cs.transform === "none" ? c.right - parseFloat(cs.right) - w : c.left + c.width / 2 - w / 2;
					const top = cs.top !== "auto" ? c.top + parseFloat(cs.top) : c.bottom - parseFloat(cs.bottom) - h;
					if (left < box.left - 0.5 || left + w > box.right + 0.5 || top < box.top - 0.5 || top + h > box.bottom + 0.5)
						return "label at " + [left, top, left + w, top + h].map(Math.round) + " outside the box " + [box.left, box.top, box.right, box.bottom].map(Math.round);
					return "";
				})()`)
				if out != "" {
					t.Errorf("%s: hovering %s: %s", name, corner, out)
				}
			}
			// The keyboard: the grid takes the focus, an arrow moves the
			// active cell, whose label shows its number.
			b.Run(t, chromedp.MouseEvent(chromedp.MouseMoved, 1, 1))
			b.Wait(t, `(document.getElementById("conv-in-0").focus(), document.activeElement.id === "conv-in-0")`)
			b.Run(t, chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.ArrowRight))
			got = browsertest.Eval[[]string](t, b, `(() => { const td = document.querySelector("#conv-in-0 td.active");
				if (!td) return ["", "no active cell", ""];
				const cs = getComputedStyle(td, "::before"); return [td.textContent, cs.content, cs.fontSize]; })()`)
			if want := `"` + got[0] + `"`; got[1] != want {
				t.Errorf("%s: the keyboard's active cell shows %s, want its number %s", name, got[1], want)
			}
			b.Screenshot(t, strings.NewReplacer("/", "-", "?", "-", " ", "-").Replace(name))
		}
	}
}

// TestProjectorNetworkLayers (QA finding 14): on a 1280×800 projector
// every layer of /network is inside the screen's width (the strip wraps;
// no layer is hidden to the right in a sideways scroll).
func TestProjectorNetworkLayers(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	for _, lang := range []string{"en", "ko"} {
		b.Run(t, chromedp.EmulateViewport(projectorW, projectorH), chromedp.Navigate(srv.URL+"/network?present=1&lang="+lang))
		b.Wait(t, `document.readyState === "complete" && document.querySelectorAll(".net-col").length > 0`)
		bad := browsertest.Eval[[]string](t, b, `(() => {
			const bad = [], strip = document.getElementById("net-columns");
			if (strip.scrollWidth > strip.clientWidth + 1) bad.push("the strip scrolls sideways: " + strip.scrollWidth + " > " + strip.clientWidth);
			if (document.documentElement.scrollWidth > innerWidth) bad.push("the page is " + document.documentElement.scrollWidth + " px wide");
			const s = strip.getBoundingClientRect();
			for (const col of document.querySelectorAll(".net-col")) {
				const r = col.getBoundingClientRect();
				if (r.left < s.left - 0.5 || r.right > Math.min(s.right, innerWidth) + 0.5)
					bad.push(col.querySelector("h2").textContent + " at x " + Math.round(r.left) + "–" + Math.round(r.right));
			}
			return bad;
		})()`)
		for _, m := range bad {
			t.Errorf("/network?present=1 (%s) at %d×%d: %s", lang, projectorW, projectorH, m)
		}
		b.Screenshot(t, "network-"+lang)
	}
}

// TestProjectorLessonUsesScreen (QA finding 19): a lesson stop in
// presenter mode at 1280×800 spreads its text (and picture) over the
// projector's width, not its left two thirds, and shows "Lead the class"
// without scrolling.
func TestProjectorLessonUsesScreen(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	b.Run(t, chromedp.EmulateViewport(projectorW, projectorH))
	for _, lang := range []string{"en", "ko"} {
		for _, n := range []int{1, 5, 9, 11} {
			name := fmt.Sprintf("/lesson/%d?present=1 (%s)", n, lang)
			b.Run(t, chromedp.Navigate(fmt.Sprintf("%s/lesson/%d?present=1&lang=%s", srv.URL, n, lang)))
			b.Wait(t, `document.readyState === "complete"`)
			got := browsertest.Eval[map[string]float64](t, b, `(() => {
				const right = Math.max(...[...document.querySelectorAll(".lesson-text > *, .lesson-figure")].map((e) => e.getBoundingClientRect().right));
				const lead = document.getElementById("lesson-lead");
				return {right, lead: lead ? lead.getBoundingClientRect().bottom : -1, wide: document.documentElement.scrollWidth, w: innerWidth, h: innerHeight};
			})()`)
			t.Logf("%s: %v", name, got)
			if got["right"] < 0.85*got["w"] {
				t.Errorf("%s: the text and picture end at x %.0f of %.0f", name, got["right"], got["w"])
			}
			if got["lead"] < 0 {
				t.Errorf("%s: no Lead the class switch", name)
			} else if got["lead"] > got["h"] {
				t.Errorf("%s: Lead the class is at y %.0f, below the %.0f px screen", name, got["lead"], got["h"])
			}
			if got["wide"] > got["w"] {
				t.Errorf("%s: the page is %.0f px wide", name, got["wide"])
			}
			b.Screenshot(t, fmt.Sprintf("lesson-%d-%s", n, lang))
		}
	}
}

// weightTags measures the "×w" tags (td.tap::after) on the input grids:
// their computed size and whether one's box meets its cell's number (a
// Range over the text gives the number's box; the tag's is placed from its
// computed top/right and measured with its own font on a canvas).
const weightTags = `(() => {
	const ctx = document.createElement("canvas").getContext("2d");
	const bad = [];
	let min = 1e9, n = 0;
	for (const td of document.querySelectorAll("#conv-channels td.tap")) {
		const cs = getComputedStyle(td, "::after");
		const text = cs.content.replace(/^"|"$/g, "");
		if (!text || cs.content === "none" || cs.display === "none") continue;
		n++;
		const fs = parseFloat(cs.fontSize);
		min = Math.min(min, fs);
		const c = td.getBoundingClientRect();
		ctx.font = cs.fontWeight + " " + cs.fontSize + " " + cs.fontFamily;
		const w = ctx.measureText(text).width;
		const tag = {right: c.right - parseFloat(cs.right), top: c.top + parseFloat(cs.top)};
		tag.left = tag.right - w; tag.bottom = tag.top + fs;
		const range = document.createRange();
		range.selectNodeContents(td);
		const num = range.getBoundingClientRect();
		if (num.width > 0 && tag.left < num.right - 0.5 && tag.right > num.left + 0.5 && tag.top < num.bottom - 0.5 && tag.bottom > num.top + 0.5) {
			bad.push(td.closest("table").id + ": the tag " + text + " covers the number " + td.textContent);
			break;
		}
	}
	return {bad, min: n ? min : 0, n};
})()`

// TestProjectorWeightTags (QA finding 22): in presenter mode the "×w" tags
// on the window's input cells are at least 12 px and never cover the
// cell's number, on a projector (fitted) and on a narrower presenter
// screen (not fitted).
func TestProjectorWeightTags(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	for _, size := range [][2]int64{{projectorW, projectorH}, {1920, 1080}, {800, 900}} {
		for _, preset := range []string{"lesson-4x4", "channels", "transposed", "stride"} {
			name := fmt.Sprintf("%dx%d %s", size[0], size[1], preset)
			b.Run(t, chromedp.EmulateViewport(size[0], size[1]), chromedp.Navigate(srv.URL+"/conv?present=1&lang=en&preset="+preset))
			b.Wait(t, `window.convlabVisualizer`)
			b.Wait(t, `new Promise(r => requestAnimationFrame(() => setTimeout(() => r(true), 300)))`)
			var r struct {
				Bad []string
				Min float64
				N   int
			}
			r = browsertest.Eval[struct {
				Bad []string
				Min float64
				N   int
			}](t, b, weightTags)
			t.Logf("%s: %d tags, smallest %.1f px", name, r.N, r.Min)
			if r.N == 0 {
				t.Errorf("%s: no weight tags", name)
			} else if r.Min < 12 {
				t.Errorf("%s: a weight tag is %.1f px", name, r.Min)
			}
			for _, m := range r.Bad {
				t.Errorf("%s: %s", name, m)
			}
			if len(r.Bad) > 0 || r.Min < 12 {
				b.Screenshot(t, strings.ReplaceAll(name, " ", "-"))
			}
		}
	}
}

// TestPhoneNavCompact (QA finding 20): on a 390×844 phone the header (the
// brand, the menu, the language switch) is at most two rows, ≤ 104 px
// tall; the menu is one row that scrolls sideways inside itself (never the
// page), each link 44 px tall, and a link reached with the keyboard is
// scrolled into view.
func TestPhoneNavCompact(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	b.Run(t, emulatePhone())
	for _, lang := range []string{"en", "ko"} {
		for _, path := range []string{"/", "/conv", "/quiz", "/network"} {
			name := path + " (" + lang + ")"
			b.Run(t, chromedp.Navigate(srv.URL+path+"?lang="+lang))
			b.Wait(t, `document.readyState === "complete"`)
			bad := browsertest.Eval[[]string](t, b, `(() => {
				const bad = [];
				const cur = document.querySelector('.site-nav a[aria-current="page"]');
				if (cur) {
					const u = cur.parentElement.parentElement.getBoundingClientRect(), r = cur.getBoundingClientRect();
					if (r.left < u.left - 0.5 || r.right > u.right + 0.5) bad.push("the current page's link " + JSON.stringify(cur.textContent) + " starts out of view: " + Math.round(r.left) + "–" + Math.round(r.right));
				}
				const h = document.querySelector(".site-header").getBoundingClientRect().height;
				if (h > 104) bad.push("the header is " + Math.round(h) + " px tall");
				if (document.documentElement.scrollWidth > 390) bad.push("the page is " + document.documentElement.scrollWidth + " px wide");
				const ul = document.querySelector(".site-nav ul"), links = [...ul.querySelectorAll("a")];
				const tops = new Set(links.map((a) => Math.round(a.getBoundingClientRect().top)));
				if (tops.size > 1) bad.push("the menu takes " + tops.size + " rows");
				for (const a of links) if (a.getBoundingClientRect().height < 44) { bad.push(a.textContent + " is " + a.getBoundingClientRect().height + " px tall"); break; }
				if (ul.scrollWidth > ul.clientWidth && !/auto|scroll/.test(getComputedStyle(ul).overflowX)) bad.push("the menu's overflow is hidden");
				const last = links[links.length - 1];
				last.focus();
				const u = ul.getBoundingClientRect(), r = last.getBoundingClientRect();
				if (r.left < u.left - 0.5 || r.right > u.right + 0.5 || r.right > 390) bad.push("the focused last link is outside the menu: " + Math.round(r.left) + "–" + Math.round(r.right));
				return bad;
			})()`)
			for _, m := range bad {
				t.Errorf("%s at 390×844: %s", name, m)
			}
			t.Logf("%s: header %.0f px", name, browsertest.Eval[float64](t, b, `document.querySelector(".site-header").getBoundingClientRect().height`))
			b.Screenshot(t, strings.NewReplacer("/", "_").Replace(name))
		}
	}
}

// TestProjectorTrainTileLabels (left by the qa-fixes pass): on a 1280×800
// projector every stat tile label of /train is one line, so the numbers
// under them line up.
func TestProjectorTrainTileLabels(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	for _, size := range [][2]int64{{projectorW, projectorH}, {1024, 768}, {1920, 1080}} {
		for _, lang := range []string{"en", "ko"} {
			b.Run(t, chromedp.EmulateViewport(size[0], size[1]), chromedp.Navigate(fmt.Sprintf("%s/train?present=1&lang=%s", srv.URL, lang)))
			b.Wait(t, `document.readyState === "complete"`)
			bad := browsertest.Eval[[]string](t, b, `(() => {
				const bad = [];
				for (const dt of document.querySelectorAll(".train-stats dt")) {
					const r = document.createRange();
					r.selectNodeContents(dt);
					const lines = new Set([...r.getClientRects()].map((q) => Math.round(q.top))).size;
					if (lines > 1) bad.push(JSON.stringify(dt.textContent) + " takes " + lines + " lines");
					if (dt.scrollWidth > dt.clientWidth + 1) bad.push(JSON.stringify(dt.textContent) + " is cut off");
				}
				return bad;
			})()`)
			for _, m := range bad {
				t.Errorf("/train?present=1 (%s) at %d×%d: %s", lang, size[0], size[1], m)
			}
		}
	}
}

// TestProjectorHomeListInMargin (QA finding 24): in presenter mode the
// home page's numbered list keeps its markers ("1." … "5.") inside the
// content margin the heading and paragraphs use.
func TestProjectorHomeListInMargin(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	for _, lang := range []string{"en", "ko"} {
		b.Run(t, chromedp.EmulateViewport(projectorW, projectorH), chromedp.Navigate(srv.URL+"/?present=1&lang="+lang))
		b.Wait(t, `document.readyState === "complete"`)
		got := browsertest.Eval[map[string]float64](t, b, `(() => {
			const ol = document.querySelector("ol.ideas"), h1 = document.querySelector("main h1");
			const li = ol.querySelector("li:last-child"), cs = getComputedStyle(li);
			const ctx = document.createElement("canvas").getContext("2d");
			ctx.font = cs.fontWeight + " " + cs.fontSize + " " + cs.fontFamily;
			// An outside marker ends about 0.5em before the item's text.
			const marker = ctx.measureText(ol.children.length + ".").width + 0.5 * parseFloat(cs.fontSize);
			return {markerLeft: li.getBoundingClientRect().left - marker, margin: h1.getBoundingClientRect().left};
		})()`)
		if got["markerLeft"] < got["margin"]-0.5 {
			t.Errorf("/?present=1 (%s): the list markers start at x %.0f, left of the margin at x %.0f", lang, got["markerLeft"], got["margin"])
		}
	}
}

// TestProjectorConvTitle (QA finding 23): the visualizer fitted to a
// projector still shows its title ("Convolution, step by step"), at least
// 20 px, on screen and not clipped.
func TestProjectorConvTitle(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	for _, q := range []string{"", "&preset=channels", "&preset=lesson-mnist"} {
		for _, lang := range []string{"en", "ko"} {
			name := "/conv?present=1" + q + " (" + lang + ")"
			openPresent(t, b, srv.URL+"/conv?present=1&lang="+lang+q, projectorW, projectorH)
			got := browsertest.Eval[map[string]any](t, b, `(() => {
				const h = document.querySelector(".conv-head h1"), r = h.getBoundingClientRect(), cs = getComputedStyle(h);
				return {w: r.width, h: r.height, top: r.top, bottom: r.bottom, right: r.right, fs: parseFloat(cs.fontSize), clip: cs.clipPath, text: h.textContent,
					fits: h.scrollWidth <= h.clientWidth + 1};
			})()`)
			t.Logf("%s: %v", name, got)
			if got["w"].(float64) < 100 || got["h"].(float64) < 20 || got["clip"] != "none" || got["fs"].(float64) < 20 || got["fits"] != true {
				t.Errorf("%s: the title is not shown readably: %v", name, got)
			}
			if got["top"].(float64) < 0 || got["bottom"].(float64) > projectorH || got["right"].(float64) > projectorW {
				t.Errorf("%s: the title is off screen: %v", name, got)
			}
		}
	}
}

// TestProjectorHeaderOneRow: in presenter mode on a 1024-wide projector the
// site header (brand, menu, languages) is one row in both languages, so
// the screen's height goes to the page.
func TestProjectorHeaderOneRow(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	for _, size := range [][2]int64{{1024, 768}, {projectorW, projectorH}} {
		for _, lang := range []string{"en", "ko"} {
			b.Run(t, chromedp.EmulateViewport(size[0], size[1]), chromedp.Navigate(srv.URL+"/?present=1&lang="+lang))
			b.Wait(t, `document.readyState === "complete"`)
			rows := browsertest.Eval[int](t, b, `(() => { const cs = [...document.querySelectorAll(".site-header .brand, .site-nav a, .lang-switch a")].map((a) => { const r = a.getBoundingClientRect(); return (r.top + r.bottom) / 2; }).sort((a, b) => a - b);
				let rows = 0, last = -1e9; for (const c of cs) { if (c - last > 12) rows++, last = c; } return rows; })()`)
			h := browsertest.Eval[float64](t, b, `document.querySelector(".site-header").getBoundingClientRect().height`)
			t.Logf("%d×%d %s: header %.0f px", size[0], size[1], lang, h)
			if rows > 1 || h > 64 {
				t.Errorf("%d×%d %s: the header takes %d rows, %.0f px", size[0], size[1], lang, rows, h)
			}
		}
	}
}

// TestProjectorEveryPreset: every preset of the visualizer, on a 1280×800
// projector in presenter mode, at its first and last step, passes the
// stage's geometry checks (numbers ≥ 14 px or a heat map, nothing cut off
// or overlapping, "This step" whole).
func TestProjectorEveryPreset(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, srv := newTestServer(t)
	b := browsertest.New(t)
	for _, p := range convstate.Presets {
		openPresent(t, b, srv.URL+"/conv?present=1&lang=en&preset="+p.Name, projectorW, projectorH)
		last := browsertest.Eval[int](t, b, `Number(document.getElementById("conv-scrubber").max)`)
		for _, step := range []int{1, last} {
			b.Wait(t, fmt.Sprintf(`window.convlabVisualizer.setState({step: %d}).then(() => true)`, step))
			r := browsertest.Eval[stageReport](t, b, stageGeometry+`(14)`)
			name := fmt.Sprintf("%s step %d", p.Name, step)
			t.Logf("%s: %v", name, r.Out)
			if len(r.Bad) > 0 {
				t.Errorf("%s: %s", name, strings.Join(r.Bad, "; "))
				b.Screenshot(t, strings.ReplaceAll(name, " ", "-"))
			}
		}
	}
	// The lesson's stops with a visualizer, scrolled to it.
	for i, st := range lessonStops {
		n := i + 1
		if st.Preset == "" {
			continue
		}
		name := fmt.Sprintf("/lesson/%d", n)
		openPresent(t, b, fmt.Sprintf("%s/lesson/%d?present=1&lang=en", srv.URL, n), projectorW, projectorH)
		b.Wait(t, `(document.getElementById("conv").scrollIntoView({block: "start"}), new Promise(r => setTimeout(() => r(true), 200)))`)
		r := browsertest.Eval[stageReport](t, b, stageGeometry+`(14)`)
		t.Logf("%s: %v", name, r.Out)
		if len(r.Bad) > 0 {
			t.Errorf("%s: %s", name, strings.Join(r.Bad, "; "))
			b.Screenshot(t, strings.ReplaceAll(name, "/", "-"))
		}
	}
}
