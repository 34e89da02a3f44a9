package server

import (
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// sameSiteLink is the one function that makes a link back into this site
// from a request's path and query (the layout's language and presenter
// links, redirects). The path is cleaned (path.Clean: no "..") and escaped
// again, so the link is always "/…" on this host. A path that holds "//",
// any control character (TAB, CR, LF, DEL, C1: browsers drop some of
// them, which turned "/\t/evil.example/x" into "//evil.example/x"), a
// backslash (read as "/" by browsers), invalid UTF-8, or that does not
// start with "/" gives "/" instead. q is encoded as the query ("" or nil:
// none).
func sameSiteLink(p string, q url.Values) string {
	if !safeLinkPath(p) {
		p = "/"
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	link := (&url.URL{Path: clean}).EscapedPath()
	if !strings.HasPrefix(link, "/") || strings.HasPrefix(link, "//") {
		link = "/" // unreachable after Clean, kept as the invariant
	}
	if enc := q.Encode(); enc != "" {
		link += "?" + enc
	}
	return link
}

// safeLinkPath reports whether p may be echoed as a same-site link path.
func safeLinkPath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.Contains(p, "//") || !utf8.ValidString(p) {
		return false
	}
	for _, r := range p {
		if r == '\\' || unicode.IsControl(r) {
			return false
		}
	}
	return true
}
