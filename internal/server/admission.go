package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"

	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/internal/admission"
	"github.com/labstack/echo/v4"
)

// CPU-heavy work (POST /api/conv, POST /api/predict, custom GIF/PNG
// renders, and any future route that computes for a while) goes through
// one admission control, a.work (package internal/admission): a fixed
// number of slots (-work-slots, default GOMAXPROCS), a bounded line
// (-work-queue), a share per client address (-work-per-client: running
// plus waiting; the line is served round-robin over clients), a longest
// wait (-work-wait); past those, 503 with Retry-After and a message in the
// page's language. A request asks for a slot only after its body is read
// and bounded, so a slow upload never holds one.
//
// Add a route with the a.heavy middleware:
//
//	e.POST("/api/explain", a.explainAPI, a.heavy)
//
// or, when only part of a handler is heavy (a cache miss), call a.admit(c)
// and release the slot when done.

// heavyMiddleware reads the whole request body (bounded by bodyLimit)
// before asking for a slot, then runs next holding it.
func (a *app) heavyMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				if isTooLarge(err) {
					return jsonError(err)
				}
				return echo.NewHTTPError(http.StatusBadRequest, i18n.T(r.Context(), "busy.read_body"))
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		release, err := a.admit(c)
		if err != nil {
			return err
		}
		defer release()
		return next(c)
	}
}

// admit waits for a slot of CPU-heavy work for this request's client. The
// error is a 503 *echo.HTTPError with its Retry-After header set (nil
// release); a client that left gets a nil error only with a slot.
func (a *app) admit(c echo.Context) (release func(), err error) {
	r := c.Request()
	release, err = a.work.Acquire(r.Context(), clientKey(r))
	if err == nil {
		return release, nil
	}
	return nil, busyError(c, err)
}

// busyError words an admission refusal for the reader and sets Retry-After.
func busyError(c echo.Context, err error) *echo.HTTPError {
	ctx := c.Request().Context()
	key, retry := "busy.full", 2
	switch {
	case errors.Is(err, admission.ErrClientFull):
		key = "busy.client"
	case errors.Is(err, admission.ErrTimeout):
		key = "busy.timeout"
	case errors.Is(err, admission.ErrClosed):
		key, retry = "busy.closing", 5
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		key = "busy.timeout" // the client left; nobody reads this
	}
	c.Response().Header().Set("Retry-After", strconv.Itoa(retry))
	return echo.NewHTTPError(http.StatusServiceUnavailable, i18n.T(ctx, key))
}

// clientKey is the client's share of the work: its IP address (the port
// changes with every connection). Behind a proxy every request would share
// one key; this server is meant to be reached directly on a classroom
// network, so it does not trust X-Forwarded-For.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
