package server

import (
	"net/http"

	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/internal/convstate"
	"github.com/convlab/convlab/internal/convview"
	"github.com/convlab/convlab/views"
	"github.com/labstack/echo/v4"
)

// convPoolPage is GET /conv/pool: the pooling visualizer (nn.MaxPool2d /
// nn.AvgPool2d, one output cell a step). The URL is the state
// (convstate.ParsePool); a state the page cannot show answers 400 with the
// reason on the page, in the reader's language.
func (a *app) convPoolPage(c echo.Context) error {
	ctx := c.Request().Context()
	lang := i18n.Lang(ctx)
	status := http.StatusOK
	st, err := convstate.ParsePool(c.QueryParams())
	var vm views.ConvPoolView
	if err != nil {
		d, _ := convstate.ParsePool(nil)
		vm, _ = convview.BuildPool(lang, d, localizeConvError)
		vm.OK = false
		vm.Error, _ = localizeConvError(lang, err)
		status = http.StatusBadRequest
	} else if vm, err = convview.BuildPool(lang, st, localizeConvError); err != nil {
		status = http.StatusBadRequest
	}
	p := a.page(c, i18n.T(ctx, "conv.pool.title"), "conv")
	p.Styles = []string{"/static/css/conv_pool.css"}
	return render(c, status, views.ConvPool(p, vm))
}
