package main

import (
	"net/http"

	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/views"
	"github.com/labstack/echo/v4"
)

// drawRoutes registers the draw-a-digit page. Its predictions go through
// POST /api/predict (predict_handlers.go), with "model": "live" served by
// the training run's latest snapshot (a.train).
func (a *app) drawRoutes(e *echo.Echo) {
	e.GET("/draw", a.drawPage)
}

func (a *app) drawPage(c echo.Context) error {
	ctx := c.Request().Context()
	p := a.page(c, i18n.T(ctx, "draw.title"), "draw")
	p.Scripts = []string{"/static/js/draw.js"}
	p.Styles = []string{"/static/css/draw.css"}
	return render(c, http.StatusOK, views.Draw(p, views.DrawView{Messages: i18n.Messages(i18n.Lang(ctx), "draw.")}))
}
