package server

import (
	"sync/atomic"

	"github.com/convlab/convlab/internal/apperr"
	"github.com/labstack/echo/v4"
)

// viewerLimit caps the event streams open at once, the training run's
// and the follow-along's together (-max-viewers, default 1000: a class of
// 300 with a few tabs each fits; each stream costs a goroutine, a
// connection and its buffers, ~70 KB). Over the cap: 503 with
// Retry-After and a message in the page's language; EventSource retries
// by itself.
type viewerLimit struct {
	max  int64
	open atomic.Int64
}

// middleware admits a stream while fewer than max are open.
func (v *viewerLimit) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if n := v.open.Add(1); v.max > 0 && n > v.max {
			v.open.Add(-1)
			c.Response().Header().Set("Retry-After", "30")
			return apperr.New(apperr.Unavailable, "busy_viewers", apperr.A("max", v.max))
		}
		defer v.open.Add(-1)
		return next(c)
	}
}
