package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/a-h/templ"
	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/internal/apperr"
	"github.com/convlab/convlab/views"
	"github.com/labstack/echo/v4"
)

// page builds the layout's view model for the current request. title is
// already translated (i18n.T(c.Request().Context(), "...")); active is
// "conv", "animations", "train", "draw" or "".
func (a *app) page(c echo.Context, title, active string) views.Page {
	r := c.Request()
	return views.Page{
		Title:   title,
		Active:  active,
		Lang:    i18n.Lang(r.Context()),
		Present: presentMode(c), // ?present=1|0, remembered in a cookie (present.go)
		Path:    pathForLinks(r.URL),
	}
}

// pathForLinks is the request path and query without the parameters the
// layout sets itself (lang, present) or must never echo (presenter), made
// by sameSiteLink (links.go): always a link to this site.
func pathForLinks(u *url.URL) string {
	q := u.Query()
	q.Del("lang")
	q.Del("present")
	q.Del("presenter")
	return sameSiteLink(u.Path, q)
}

// render writes a templ component as an HTML response, in the request's
// language.
func render(c echo.Context, status int, comp templ.Component) error {
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	w.WriteHeader(status)
	return comp.Render(c.Request().Context(), w)
}

// isAPI reports whether a request is for a JSON API (errors as JSON).
func isAPI(c echo.Context) bool {
	return strings.HasPrefix(c.Request().URL.Path, "/api/")
}

// httpError is echo's error handler: JSON for /api/, a page otherwise,
// with the status, code and message errorReply (errors.go) gives. A 5xx
// never shows an internal cause; the cause goes to the log.
func (a *app) httpError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	ctx := c.Request().Context()
	lang := i18n.Lang(ctx)
	status, body, logIt := errorReply(err, lang)
	if logIt {
		a.log.Error("handler error", "path", c.Request().URL.Path, "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	if isAPI(c) {
		if body.Error == "" {
			body.Error = i18n.TL(lang, "error.internal")
		}
		_ = c.JSON(status, body)
		return
	}
	text := body.Error
	switch {
	case status == http.StatusNotFound && body.Code == "":
		text = i18n.T(ctx, "error.not_found")
	case text == "" && status >= 500:
		text = i18n.T(ctx, "error.internal")
	case text == "" || text == strings.ToLower(http.StatusText(status)):
		text = i18n.T(ctx, "error.bad_request")
	}
	p := a.page(c, i18n.T(ctx, "error.title"), "")
	_ = render(c, status, views.Message(p, i18n.T(ctx, "error.title"), text, true))
}

func (a *app) healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

func (a *app) home(c echo.Context) error {
	if c.QueryParam("presenter") != "" {
		if ok := a.setPresenterCookie(c); !ok {
			return apperr.New(apperr.Forbidden, "presenter_token_wrong")
		}
		// Take the token out of the address bar and the history.
		return c.Redirect(http.StatusSeeOther, pathForLinks(c.Request().URL))
	}
	return render(c, http.StatusOK, views.Home(a.page(c, "", "")))
}
