package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"

	"github.com/convlab/convlab/internal/apperr"
	"github.com/labstack/echo/v4"
)

const (
	presenterHeader = "X-Presenter-Token"
	presenterCookie = "presenter"
)

// Who presents. Two set-ups:
//
//   - -presenter-token TOKEN (or $PRESENTER_TOKEN): the request needs that
//     token, in the X-Presenter-Token header or the presenter cookie (set
//     by visiting /?presenter=TOKEN).
//   - No token configured (the default install): a request from the
//     machine the server runs on (a loopback address) presents, like a
//     teacher at the projector; so does one carrying the random token made
//     at start (printed as the presenter link, Jupyter-style, for a teacher
//     on another device). Everyone else (the students on the LAN) watches.
//
// The loopback test uses the connection's own address (Request.RemoteAddr),
// never X-Forwarded-For or similar headers, which anyone can send. Behind a
// reverse proxy on the same machine every request would look local: set
// -presenter-token there.

// tokenEqual compares two tokens in constant time (hashing first, so the
// length of the secret does not leak either).
func tokenEqual(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// newStartToken makes the random presenter token of a run started
// without -presenter-token (128 bits, hex).
func newStartToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b[:])
}

// presenterToken is the token that makes a request the presenter: the
// configured one, or the one made at start.
func (a *app) presenterToken() string {
	if a.cfg.PresenterToken != "" {
		return a.cfg.PresenterToken
	}
	return a.startToken
}

// requestIsLocal reports whether r came from the machine the server runs
// on: its connection's remote address is a loopback address.
func requestIsLocal(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// presenterOK reports whether the request may present: see the comment
// at the top of this file.
func (a *app) presenterOK(c echo.Context) bool {
	if a.cfg.PresenterToken == "" && a.isLocal(c.Request()) {
		return true
	}
	token := a.presenterToken()
	if h := c.Request().Header.Get(presenterHeader); h != "" {
		return tokenEqual(h, token)
	}
	if ck, err := c.Cookie(presenterCookie); err == nil {
		return tokenEqual(ck.Value, token)
	}
	return false
}

// requirePresenter guards the routes that control the shared training run
// and lead the class. Attach it per route (routes.go):
//
//	presenter := a.requirePresenter()
//	e.POST("/api/train/start", a.trainStart, presenter)
//
// Viewers (watching pages and streams) need no token.
func (a *app) requirePresenter() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !a.presenterOK(c) {
				if a.cfg.PresenterToken == "" {
					return apperr.New(apperr.Forbidden, "presenter_only_local")
				}
				return apperr.New(apperr.Forbidden, "presenter_only")
			}
			return next(c)
		}
	}
}

// isPresenter is for pages: show the controls or not.
func (a *app) isPresenter(c echo.Context) bool { return a.presenterOK(c) }

// setPresenterCookie handles /?presenter=TOKEN: a right token (the
// configured one, or the one made at start) is kept in an HttpOnly
// cookie; a wrong one is refused (false).
func (a *app) setPresenterCookie(c echo.Context) bool {
	tok := c.QueryParam("presenter")
	if !tokenEqual(tok, a.presenterToken()) {
		return false
	}
	c.SetCookie(&http.Cookie{Name: presenterCookie, Value: tok, Path: "/",
		MaxAge: 12 * 3600, HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: c.Scheme() == "https"})
	return true
}
