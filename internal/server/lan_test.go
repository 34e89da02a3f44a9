package server

import (
	"bytes"
	"net"
	"strings"
	"testing"
)

// TestPrintLinks: at start a default install prints the presenter link
// (with the start token) and the students' LAN addresses; with a token
// configured it never prints one.
func TestPrintLinks(t *testing.T) {
	addr := &net.TCPAddr{IP: net.IPv4zero, Port: 8080}
	for _, tc := range []struct {
		name, token string
		ips         []net.IP
		want, not   []string
	}{
		{"default", "", []net.IP{net.ParseIP("192.168.1.20"), net.ParseIP("2001:db8::5")},
			[]string{"http://localhost:8080/lesson", "http://192.168.1.20:8080/?presenter=", "Students open: http://192.168.1.20:8080/ http://[2001:db8::5]:8080/"}, nil},
		{"offline", "", nil,
			[]string{"http://localhost:8080/?presenter=", "no network address found"}, nil},
		{"token", "s3cret", []net.IP{net.ParseIP("10.0.0.7")},
			[]string{"<your -presenter-token>", "Students open: http://10.0.0.7:8080/"}, []string{"s3cret"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := defaultConfig()
			cfg.PresenterToken = tc.token
			a, err := newApp(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			a.lanIPs = func() []net.IP { return tc.ips }
			var out bytes.Buffer
			a.printLinks(&out, addr)
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tc.not {
				if strings.Contains(out.String(), w) {
					t.Errorf("output has %q:\n%s", w, out.String())
				}
			}
			if printed := strings.Contains(out.String(), a.startToken); printed != (tc.token == "") {
				t.Errorf("start token printed: %v, want %v:\n%s", printed, tc.token == "", out.String())
			}
		})
	}
}

// TestQRSVG: the QR code is one path in a viewBox with the quiet zone,
// no style attribute (the CSP), and the label escaped.
func TestQRSVG(t *testing.T) {
	svg, err := qrSVG("http://192.168.1.20:8080/lesson?follow=1", `a "quoted" <label>`)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<svg xmlns="http://www.w3.org/2000/svg"`, `viewBox="0 0 `, `aria-label="a &quot;quoted&quot; &lt;label&gt;"`, `<path fill="#000" d="M`} {
		if !strings.Contains(svg, want) {
			t.Errorf("svg lacks %q", want)
		}
	}
	if strings.Contains(svg, "style=") {
		t.Error("the svg has a style attribute")
	}
}

// The start banner gives students LAN addresses only when the listener
// can take their connections: on a loopback address it says they cannot
// reach it and how to fix that (QA finding 7).
func TestPrintLinksLoopback(t *testing.T) {
	a, _ := newTestServer(t)
	a.lanIPs = func() []net.IP { return []net.IP{net.ParseIP("192.0.2.2")} }
	cases := []struct {
		name    string
		ip      string
		want    []string
		mustNot []string
	}{
		{"all interfaces", "::", []string{"Students open: http://192.0.2.2:8080/", "from another device of yours: http://192.0.2.2:8080/?presenter="}, []string{"cannot reach"}},
		{"IPv4 any", "0.0.0.0", []string{"Students open: http://192.0.2.2:8080/"}, []string{"cannot reach"}},
		{"IPv4 loopback", "127.0.0.1", []string{"Students cannot reach this server: it listens only on 127.0.0.1", "-addr :8080"}, []string{"192.0.2.2"}},
		{"IPv6 loopback", "::1", []string{"Students cannot reach this server: it listens only on ::1", "-addr :8080"}, []string{"192.0.2.2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			a.printLinks(&b, &net.TCPAddr{IP: net.ParseIP(tc.ip), Port: 8080})
			out := b.String()
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("banner lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.mustNot {
				if strings.Contains(out, w) {
					t.Errorf("banner has %q:\n%s", w, out)
				}
			}
			if !strings.Contains(out, "http://localhost:8080/lesson") {
				t.Errorf("banner lacks the presenter's own link:\n%s", out)
			}
		})
	}
}
