package server

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"rsc.io/qr"
)

// The students' address: the teacher's browser is on 127.0.0.1 (or
// localhost), which on a student's phone is the phone itself. The follow
// panel shows the host's LAN address instead, with a QR code of it, and
// the server prints it (and the presenter link) at start.

// hostLANIPs lists the host's non-loopback unicast addresses of the
// interfaces that are up: IPv4 first (easier to type), then IPv6 global
// ones; link-local addresses are left out (they need a zone).
func hostLANIPs() []net.IP {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var v4, v6 []net.IP
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, ad := range addrs {
			ipn, ok := ad.(*net.IPNet)
			if !ok || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() || !ipn.IP.IsGlobalUnicast() {
				continue
			}
			if ip4 := ipn.IP.To4(); ip4 != nil {
				v4 = append(v4, ip4)
			} else {
				v6 = append(v6, ipn.IP)
			}
		}
	}
	// Private (home, school) networks before public addresses.
	slices.SortStableFunc(v4, func(a, b net.IP) int {
		pa, pb := a.IsPrivate(), b.IsPrivate()
		switch {
		case pa && !pb:
			return -1
		case pb && !pa:
			return 1
		}
		return 0
	})
	return append(v4, v6...)
}

// lanURLs are the addresses of path (e.g. "/conv?follow=1") on the LAN,
// at the port this request came in on. With no LAN address (a laptop
// offline), it is the request's own host.
func (a *app) lanURLs(r *http.Request, path string) []string {
	port := ""
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, p, err := net.SplitHostPort(la.String()); err == nil {
			port = p
		}
	}
	var out []string
	for _, ip := range a.lanIPs() {
		out = append(out, hostURL(ip.String(), port)+path)
	}
	if len(out) == 0 {
		out = append(out, "http://"+r.Host+path)
	}
	return out
}

// hostURL is http://host:port (IPv6 in brackets; no port when "").
func hostURL(host, port string) string {
	if port == "" {
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		return "http://" + host
	}
	return "http://" + net.JoinHostPort(host, port)
}

// printLinks writes, at start, the presenter link (with no
// -presenter-token: the random start token) and the students' addresses.
func (a *app) printLinks(w io.Writer, addr net.Addr) {
	_, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return
	}
	if a.cfg.PresenterToken == "" {
		fmt.Fprintf(w, "\nPresenter (you): on this computer open %s/lesson\n", hostURL("localhost", port))
		fmt.Fprintf(w, "  from another device of yours: %s/?presenter=%s\n", hostURL(a.lanHost(), port), url.QueryEscape(a.startToken))
	} else {
		fmt.Fprintf(w, "\nPresenter: open %s/?presenter=<your -presenter-token>\n", hostURL("localhost", port))
	}
	ips := a.lanIPs()
	if len(ips) == 0 {
		fmt.Fprintf(w, "Students: no network address found; connect this computer to the classroom network\n\n")
		return
	}
	fmt.Fprintf(w, "Students open:")
	for _, ip := range ips {
		fmt.Fprintf(w, " %s/", hostURL(ip.String(), port))
	}
	fmt.Fprintf(w, "\n\n")
}

// lanHost is the first LAN address, or localhost.
func (a *app) lanHost() string {
	if ips := a.lanIPs(); len(ips) > 0 {
		return ips[0].String()
	}
	return "localhost"
}

// qrSVG draws text as a QR code (rsc.io/qr, error correction M): one
// <path> of unit squares in a viewBox with the 4-module quiet zone, so
// the page scales it with CSS. The SVG has no style attribute (the CSP).
func qrSVG(text, label string) (string, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return "", err
	}
	const quiet = 4
	n := code.Size + 2*quiet
	var d strings.Builder
	for y := 0; y < code.Size; y++ {
		for x := 0; x < code.Size; x++ {
			if code.Black(x, y) {
				d.WriteString("M" + strconv.Itoa(x+quiet) + " " + strconv.Itoa(y+quiet) + "h1v1h-1z")
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="qr" viewBox="0 0 %d %d" role="img" aria-label="%s" shape-rendering="crispEdges">`, n, n, htmlEscape(label))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`, n, n, d.String())
	return b.String(), nil
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace(s)
}

// studentsLink is what the follow panel shows: the first LAN URL of
// path and its QR code (empty when it cannot be drawn).
func (a *app) studentsLink(c echo.Context, path, label string) (string, string) {
	u := a.lanURLs(c.Request(), path)[0]
	svg, err := qrSVG(u, label)
	if err != nil {
		a.log.Warn("qr code", "url", u, "err", err)
		return u, ""
	}
	return u, svg
}
