package server

import (
	"net"
	"strings"
	"testing"
)

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
