package server

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/convlab/convlab/static"
	"github.com/labstack/echo/v4"
)

// serveStatic serves the embedded assets under /static/. A URL versioned
// by static.URL (?v=<content hash>) may be cached for a year; others are
// cached briefly and revalidated with the ETag.
func serveStatic(c echo.Context) error {
	p := path.Clean(strings.TrimPrefix(c.Param("*"), "/"))
	if p == "." || strings.HasPrefix(p, "..") || !fs.ValidPath(p) {
		return echo.ErrNotFound
	}
	hash := static.Hash(p)
	if hash == "" {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	if v := c.QueryParam("v"); v == hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300, must-revalidate")
	}
	h.Set("ETag", `"`+hash+`"`)
	http.ServeFileFS(c.Response(), c.Request(), static.FS, p)
	return nil
}
