package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/internal/apperr"
	"github.com/labstack/echo/v4"
)

// recoverPanics turns a panic in a handler into a logged 500 with a
// friendly message; the panic value and stack go to the log only.
func (a *app) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			if r == http.ErrAbortHandler { //nolint:errorlint // sentinel panic value
				panic(r)
			}
			a.log.Error("panic", "method", c.Request().Method, "path", c.Request().URL.Path,
				"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r) // internal: the user sees only that something went wrong
		}()
		return next(c)
	}
}

// headAsGet serves HEAD like GET for pages and assets (echo routes HEAD
// only where registered): the handler sees a GET, while net/http, which
// still holds the original HEAD request, sends the headers and drops the
// body. Not under /api/: an event stream must not run for a HEAD.
func headAsGet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead && !strings.HasPrefix(r.URL.Path, "/api/") {
			g := r.Clone(context.WithValue(r.Context(), headKey{}, true))
			g.Method = http.MethodGet
			r = g
		}
		next.ServeHTTP(w, r)
	})
}

// logRequests writes one concise line per request.
func (a *app) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // write the error response now, so the status is known
		}
		r, w := c.Request(), c.Response()
		a.log.Info("http", "method", r.Method, "path", r.URL.Path, "status", w.Status,
			"bytes", w.Size, "dur", time.Since(start).Round(time.Microsecond))
		return nil
	}
}

// contentSecurityPolicy forbids inline scripts and styles, foreign
// origins and framing: scripts are ES modules from /static/js.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; " +
	"base-uri 'self'; form-action 'self'; object-src 'none'"

// securityHeaders sets the security headers on every response.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		return next(c)
	}
}

// bodyLimit caps the request body at n bytes. Reading past it fails with
// an *http.MaxBytesError, which handlers report as 413 (see readJSON).
// A route that needs a smaller cap adds bodyLimit(m) as route middleware.
func bodyLimit(n int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.ContentLength > n {
				return apperr.New(apperr.TooLarge, "body_too_large", apperr.A("limit", n))
			}
			r.Body = http.MaxBytesReader(c.Response(), r.Body, n)
			return next(c)
		}
	}
}

// isTooLarge reports whether err comes from reading past a body limit.
func isTooLarge(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}

const langCookie = "lang"

// language puts the request's language on its context (i18n.WithLang):
// ?lang= (remembered in a cookie), then the cookie, then Accept-Language.
func language(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		lang := ""
		if q := r.URL.Query().Get("lang"); q != "" {
			if lang = i18n.Normalize(q); lang != "" {
				c.SetCookie(&http.Cookie{Name: langCookie, Value: lang, Path: "/",
					MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, HttpOnly: true})
			}
		}
		if lang == "" {
			if ck, err := r.Cookie(langCookie); err == nil {
				lang = i18n.Normalize(ck.Value)
			}
		}
		if lang == "" {
			lang = i18n.FromAcceptLanguage(r.Header.Get("Accept-Language"))
		}
		if lang == "" {
			lang = i18n.Langs[0]
		}
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			// The same URL answers in either language: caches must key on these.
			c.Response().Header().Add("Vary", "Accept-Language, Cookie")
		}
		c.SetRequest(r.WithContext(i18n.WithLang(r.Context(), lang)))
		return next(c)
	}
}
