package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"

	"github.com/convlab/convlab/internal/apperr"
	"github.com/labstack/echo/v4"
)

const (
	presenterHeader = "X-Presenter-Token"
	presenterCookie = "presenter"
)

// tokenEqual compares two tokens in constant time (hashing first, so the
// length of the secret does not leak either).
func tokenEqual(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// presenterOK reports whether the request carries the presenter token, in
// the X-Presenter-Token header or the presenter cookie. With no token
// configured everyone is the presenter (the single-user default).
func presenterOK(c echo.Context, token string) bool {
	if token == "" {
		return true
	}
	if h := c.Request().Header.Get(presenterHeader); h != "" {
		return tokenEqual(h, token)
	}
	if ck, err := c.Cookie(presenterCookie); err == nil {
		return tokenEqual(ck.Value, token)
	}
	return false
}

// requirePresenter guards the routes that control the shared training run.
// Attach it per route:
//
//	e.POST("/api/train/start", a.trainStart, requirePresenter(a.cfg.PresenterToken))
//
// Viewers (watching pages and streams) need no token.
func requirePresenter(token string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !presenterOK(c, token) {
				return apperr.New(apperr.Forbidden, "presenter_only")
			}
			return next(c)
		}
	}
}

// isPresenter is for pages: show the controls or not.
func (a *app) isPresenter(c echo.Context) bool { return presenterOK(c, a.cfg.PresenterToken) }

// setPresenterCookie handles /?presenter=TOKEN: a right token is kept in an
// HttpOnly cookie; a wrong one is refused (false).
func (a *app) setPresenterCookie(c echo.Context) bool {
	tok := c.QueryParam("presenter")
	if a.cfg.PresenterToken == "" {
		return true // no token configured: everyone presents, nothing to remember
	}
	if !tokenEqual(tok, a.cfg.PresenterToken) {
		return false
	}
	c.SetCookie(&http.Cookie{Name: presenterCookie, Value: tok, Path: "/",
		MaxAge: 12 * 3600, HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: c.Scheme() == "https"})
	return true
}
