package server

import (
	"bytes"
	"image"
	_ "image/png"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/convlab/convlab/internal/browsertest"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// classroomServer is a default install (no -presenter-token) reachable
// at two addresses of one port: 127.0.0.1 stands for the teacher's own
// machine, 127.0.0.2 for the classroom network. Linux answers every
// 127.x.x.x address on the loopback interface, but a connection to
// 127.0.0.2 still comes from 127.0.0.1, so the test hook a.isLocal looks
// at the address the request arrived on instead of the remote one: a
// request to 127.0.0.2 is a student's. a.lanIPs says the LAN address is
// 127.0.0.2, so the address the page shows really leads to the server.
func classroomServer(t *testing.T) (a *app, teacher, student string) {
	t.Helper()
	var ln1, ln2 net.Listener
	for try := 0; ln1 == nil; try++ {
		var err error
		ln2, err = net.Listen("tcp", "127.0.0.2:0")
		if err != nil {
			t.Skipf("no second loopback address: %v", err)
		}
		_, port, _ := net.SplitHostPort(ln2.Addr().String())
		if ln1, err = net.Listen("tcp", "127.0.0.1:"+port); err != nil {
			ln2.Close()
			if try > 10 {
				t.Fatal(err)
			}
		}
	}
	a, err := newApp(defaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	a.isLocal = func(r *http.Request) bool {
		la, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
		return la != nil && strings.HasPrefix(la.String(), "127.0.0.1:")
	}
	a.lanIPs = func() []net.IP { return []net.IP{net.ParseIP("127.0.0.2")} }
	srv := &http.Server{Handler: a.serve(a.handler())}
	go srv.Serve(ln1)
	go srv.Serve(ln2)
	t.Cleanup(func() {
		a.cancelStream()
		srv.Close()
		a.Close()
	})
	return a, "http://" + ln1.Addr().String(), "http://" + ln2.Addr().String()
}

// decodeQR reads the QR code in a PNG.
func decodeQR(t *testing.T, png []byte) string {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(png))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("the QR code does not decode: %v", err)
	}
	return res.GetText()
}

// evalAwait is browsertest.Eval for an expression that gives a promise.
func evalAwait[T any](t *testing.T, b *browsertest.Browser, expr string) T {
	t.Helper()
	v, err := chromedp.Run(b.Ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// TestClassroomDefaultInstall: with no presenter token, the teacher at
// the server's machine leads; the follow panel shows the LAN address
// and a QR code of it (decoded here), and counts the followers; a
// student on the LAN follows from that address but cannot lead or reset
// the training run.
func TestClassroomDefaultInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	_, teacherURL, studentURL := classroomServer(t)
	teacher := browsertest.New(t)
	student := browsertest.New(t)

	teacher.Run(t, chromedp.Navigate(teacherURL+"/conv?preset=stride&lang=en"))
	teacher.Wait(t, `window.convlabVisualizer && document.querySelector("#class-lead") !== null`)
	teacher.Run(t, chromedp.Click(chromedp.CSS(`#class-lead`)))
	teacher.Wait(t, `document.querySelector('[data-testid="lead-status"]').textContent.startsWith("Leading")`)
	teacher.Wait(t, `document.querySelector('[data-testid="students-qr"] svg').getBoundingClientRect().width > 100`)

	wantURL := studentURL + "/conv?follow=1"
	if got := browsertest.Eval[string](t, teacher, `document.querySelector('[data-testid="students-url"]').textContent.trim()`); got != wantURL {
		t.Errorf("the students' address shows %q, want %q", got, wantURL)
	}
	if strings.Contains(wantURL, "127.0.0.1") {
		t.Fatal("the test's LAN address is the teacher's own")
	}
	png, err := chromedp.Run(teacher.Ctx, chromedp.Screenshot(chromedp.CSS(`[data-testid="students-qr"] svg`)))
	if err != nil {
		t.Fatal(err)
	}
	if got := decodeQR(t, png); got != wantURL {
		t.Errorf("the QR code reads %q, want %q", got, wantURL)
	}
	teacher.Wait(t, `document.querySelector('[data-testid="followers"]').textContent === "0 students are following."`)

	// The student opens the address shown (the LAN one).
	student.Run(t, chromedp.Navigate(wantURL+"&lang=en"))
	student.Wait(t, `window.convlabVisualizer && (document.querySelector('[data-testid="step-index"]')?.textContent || "").trim() === "1 / 4"`)
	if n := browsertest.Eval[int](t, student, `document.querySelectorAll("#class-lead, [data-testid=students-panel]").length`); n != 0 {
		t.Errorf("a student's page offers leading (%d elements)", n)
	}
	teacher.Wait(t, `document.querySelector('[data-testid="followers"]').textContent === "1 student is following."`)
	teacher.Run(t, chromedp.KeyEvent(kb.ArrowRight))
	student.Wait(t, `document.querySelector('[data-testid="step-index"]').textContent.trim() === "2 / 4"`)

	// The student cannot lead, even by hand.
	status := evalAwait[float64](t, student, `fetch("/api/follow", {method: "POST", headers: {"Content-Type": "application/json"},
		body: JSON.stringify({state: window.convlabVisualizer.getState()})}).then(r => r.status)`)
	if status != 403 {
		t.Errorf("a student's POST /api/follow: %v, want 403", status)
	}
	if status := evalAwait[float64](t, student, `fetch("/api/follow", {method: "DELETE"}).then(r => r.status)`); status != 403 {
		t.Errorf("a student's DELETE /api/follow: %v, want 403", status)
	}
	// A student who steps alone is told they left the teacher's screen.
	student.Run(t, chromedp.KeyEvent(kb.ArrowRight))
	student.Wait(t, `document.querySelector('[data-testid="follow-status"]').textContent.includes("stepped away")`)

	// /train: the student's Reset is off and refused by the server.
	student.Run(t, chromedp.Navigate(studentURL+"/train?lang=en"))
	student.Wait(t, `document.getElementById("train").dataset.ready === "1"`)
	if !browsertest.Eval[bool](t, student, `document.querySelector('[data-testid="train-reset"]').disabled && document.querySelector('[data-testid="train-viewer-note"]') !== null`) {
		t.Error("a student's /train offers Reset")
	}
	for _, action := range []string{"reset", "start", "pause"} {
		if status := evalAwait[float64](t, student, `fetch("/api/train/`+action+`", {method: "POST", headers: {"Content-Type": "application/json"}, body: "{}"}).then(r => r.status)`); status != 403 {
			t.Errorf("a student's POST /api/train/%s: %v, want 403", action, status)
		}
	}
	// In Korean, the refusal is Korean.
	msg := evalAwait[string](t, student, `fetch("/api/train/reset?lang=ko", {method: "POST", body: "{}"}).then(r => r.json()).then(j => j.error || "")`)
	if !hasHangul(msg) {
		t.Errorf("a student's refusal in Korean: %q", msg)
	}
	if errs := teacher.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("teacher's console: %v", errs)
	}
}

// TestTrainResetAsksFirst: Reset on /train opens a confirmation; "Keep
// the run" keeps it, "Reset the run" resets.
func TestTrainResetAsksFirst(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: -short")
	}
	needMNIST(t)
	a, srv := newTestServer(t)
	b := browsertest.New(t)
	b.Run(t, chromedp.Navigate(srv.URL+"/train?lang=en"))
	b.Wait(t, `document.getElementById("train").dataset.ready === "1" && document.getElementById("train").dataset.state === "idle"`)
	b.Run(t, chromedp.Click(chromedp.CSS(`[data-testid="train-start"]`)))
	b.Wait(t, `Number(document.querySelector('[data-testid="train-step"]').textContent) > 0`)
	b.Run(t, chromedp.Click(chromedp.CSS(`[data-testid="train-pause"]`)))
	b.Wait(t, `document.getElementById("train").dataset.state === "paused"`)

	b.Run(t, chromedp.Click(chromedp.CSS(`[data-testid="train-reset"]`)))
	b.Wait(t, `document.querySelector('[data-testid="train-reset-dialog"]').open`)
	b.Screenshot(t, "reset-dialog")
	b.Run(t, chromedp.KeyEvent(kb.Escape))
	b.Wait(t, `!document.querySelector('[data-testid="train-reset-dialog"]').open`)
	if st := a.train.State(); st.State != "paused" {
		t.Fatalf("after Escape the run is %q, want paused", st.State)
	}
	b.Run(t, chromedp.Click(chromedp.CSS(`[data-testid="train-reset"]`)))
	b.Wait(t, `document.querySelector('[data-testid="train-reset-dialog"]').open`)
	b.Run(t, chromedp.Click(chromedp.CSS(`[data-testid="train-reset-dialog"] button[value="keep"]`)))
	b.Wait(t, `!document.querySelector('[data-testid="train-reset-dialog"]').open`)
	if st := a.train.State(); st.State != "paused" {
		t.Fatalf("after Keep the run is %q, want paused", st.State)
	}
	b.Run(t, chromedp.Click(chromedp.CSS(`[data-testid="train-reset"]`)))
	b.Wait(t, `document.querySelector('[data-testid="train-reset-dialog"]').open`)
	b.Run(t, chromedp.Click(chromedp.CSS(`[data-testid="train-reset-confirm"]`)))
	b.Wait(t, `document.getElementById("train").dataset.state === "idle"`)
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console: %v", errs)
	}
}
