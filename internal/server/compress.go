package server

import (
	"context"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// compress gzips the text the server sends (HTML pages and fragments,
// JSON, JS, CSS, SVG) when the client accepts it: the /conv lesson page is
// ~570 KB of HTML (every step pre-formatted), ~58 KB gzipped. It is
// echo's middleware.Gzip (it sets Vary: Accept-Encoding, flushes through,
// and sends a body shorter than MinLength, or none at all, such as a 304,
// as it is). Echo's middleware cannot see the response's type before it
// starts, so skipCompress decides by the request.
func compress() echo.MiddlewareFunc {
	return middleware.GzipWithConfig(middleware.GzipConfig{
		Skipper:   skipCompress,
		MinLength: compressMinLength,
	})
}

// compressMinLength: below this a gzip body is not worth its header and
// CPU (about one TCP packet).
const compressMinLength = 1400

// skipCompress: event streams (Accept: text/event-stream, or a path
// ending in /events) go out event by event and are not gzipped; images
// and the model file are already compressed or nearly incompressible
// (the GIF/PNG animations, static images, .safetensors); a Range request
// must get the bytes it names; HEAD (served as GET, headAsGet) needs no
// body to compress.
func skipCompress(c echo.Context) bool {
	r := c.Request()
	if isHead(r.Context()) || r.Header.Get("Range") != "" {
		return true
	}
	if strings.Contains(r.Header.Get("Accept"), "text/event-stream") || strings.HasSuffix(r.URL.Path, "/events") {
		return true
	}
	switch strings.ToLower(path.Ext(r.URL.Path)) {
	case ".gif", ".png", ".jpg", ".jpeg", ".webp", ".ico", ".woff2", ".safetensors", ".gz", ".zip":
		return true
	}
	return false
}

// headKey marks a HEAD request that headAsGet turned into a GET.
type headKey struct{}

func isHead(ctx context.Context) bool { v, _ := ctx.Value(headKey{}).(bool); return v }
