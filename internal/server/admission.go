package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"

	"github.com/convlab/convlab/internal/admission"
	"github.com/convlab/convlab/internal/apperr"
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

// heavyBodyBudget bounds the request bodies the heavy routes hold in
// memory at once (being read, waiting for a slot, or being computed on):
// each is at most the body limit (1 MB), so many clients uploading at
// once cannot fill the memory before admission sees them. A body is
// charged its Content-Length (the body limit when the length is unknown).
const heavyBodyBudget = 64 << 20

// heavyMiddleware reads the whole request body (bounded by bodyLimit)
// before asking for a slot, then runs next holding it.
func (a *app) heavyMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Body != nil && r.Body != http.NoBody {
			charge := r.ContentLength
			if charge < 0 || charge > a.cfg.BodyLimit {
				charge = a.cfg.BodyLimit
			}
			if a.bodyBytes.Add(charge) > heavyBodyBudget {
				a.bodyBytes.Add(-charge)
				return busyError(c, admission.ErrFull)
			}
			defer a.bodyBytes.Add(-charge)
			body, err := io.ReadAll(r.Body)
			if err != nil {
				var mb *http.MaxBytesError
				if errors.As(err, &mb) {
					return apperr.New(apperr.TooLarge, "body_too_large", apperr.A("limit", mb.Limit))
				}
				return apperr.New(apperr.Invalid, "body_unreadable").Wrap(err)
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
// error is an *apperr.Error of kind Unavailable (503) whose message says
// why, with the Retry-After header already set (release is then nil).
func (a *app) admit(c echo.Context) (release func(), err error) {
	r := c.Request()
	release, err = a.work.Acquire(r.Context(), clientKey(r))
	if err == nil {
		return release, nil
	}
	return nil, busyError(c, err)
}

// busyError words an admission refusal (err.busy_* in the catalogues) and
// sets Retry-After.
func busyError(c echo.Context, err error) *apperr.Error {
	code, retry := "busy_full", 2
	switch {
	case errors.Is(err, admission.ErrClientFull):
		code = "busy_client"
	case errors.Is(err, admission.ErrTimeout):
		code = "busy_timeout"
	case errors.Is(err, admission.ErrClosed):
		code, retry = "busy_closing", 5
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		code = "busy_timeout" // the client left; nobody reads this
	}
	c.Response().Header().Set("Retry-After", strconv.Itoa(retry))
	return apperr.New(apperr.Unavailable, code)
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
