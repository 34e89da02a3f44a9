package server

import (
	"net/http"

	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/views"
	"github.com/labstack/echo/v4"
)

func (a *app) drawPage(c echo.Context) error {
	ctx := c.Request().Context()
	p := a.page(c, i18n.T(ctx, "draw.title"), "draw")
	p.Scripts = []string{"/static/js/draw.js"}
	p.Styles = []string{"/static/css/draw.css"}
	return render(c, http.StatusOK, views.Draw(p, views.DrawView{Messages: i18n.Messages(i18n.Lang(ctx), "draw.")}))
}
