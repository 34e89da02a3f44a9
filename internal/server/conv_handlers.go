package server

import (
	"net/http"
	"net/url"

	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/internal/apperr"
	"github.com/convlab/convlab/internal/convstate"
	"github.com/convlab/convlab/internal/convview"
	"github.com/convlab/convlab/views"
	"github.com/labstack/echo/v4"
)

// The visualizer (/conv). The URL is the state (internal/convstate); the
// view model is internal/convview's; views/conv.templ renders it. These
// handlers only read the request and pick the status.

// convStageMaxBody bounds POST /conv/stage: the largest state as JSON
// (4,884 numbers, see followMaxBody) plus an edit.
const convStageMaxBody = 256 << 10

// convPage serves GET /conv, the whole page. The engine computes the
// output and the step trace here, so the first paint is complete before
// any script runs. A configuration the page cannot use still renders the
// page (controls and all) with the reason, in the reader's language, and
// status 400.
func (a *app) convPage(c echo.Context) error {
	ctx := c.Request().Context()
	vm, status := convPageView(i18n.Lang(ctx), c.Request().URL.Query())
	p := a.page(c, i18n.T(ctx, "conv.title"), "conv")
	p.Scripts = []string{"/static/js/visualizer.js", "/static/js/follow.js", "/static/js/fit.js"}
	p.Styles = []string{"/static/css/conv.css", "/static/css/classroom.css"}
	vm.Classroom = a.classroomView(c, p)
	return render(c, status, views.Conv(p, vm))
}

// convPageView reads the URL and builds the view: 200, or 400 when the
// URL asks for something the page cannot show (the view then says why).
func convPageView(lang string, q url.Values) (views.ConvView, int) {
	st, err := convstate.Parse(q)
	if err != nil {
		return convview.Refused(lang, err, localizeConvError), http.StatusBadRequest
	}
	vm, err := convview.Build(lang, st, localizeConvError)
	if err != nil {
		return vm, http.StatusBadRequest
	}
	return vm, http.StatusOK
}

// convStageQuery serves GET /conv/stage?<the /conv query>: the parts of
// the page that depend on the state (views.ConvFragment), for a script
// that has a URL (a lesson stop, a link).
func (a *app) convStageQuery(c echo.Context) error {
	vm, status := convPageView(i18n.Lang(c.Request().Context()), c.Request().URL.Query())
	if status != http.StatusOK {
		status = http.StatusUnprocessableEntity
	}
	return render(c, status, views.ConvFragment(vm))
}

// convStageEdit serves POST /conv/stage {"state": {...}, <convstate.Edit>}:
// the page's script sends the state it shows and the edit (a typed value,
// the settings form, a named kernel, setState's patch); the answer is the
// new stage (views.ConvFragment) with the new state in its JSON block. A
// refused edit answers 422 with the old state's stage and the reason; a
// state the engine refuses answers 422 with the reason and no stage. All
// reasons are in the reader's language.
func (a *app) convStageEdit(c echo.Context) error {
	lang := i18n.Lang(c.Request().Context())
	var req struct {
		State *convstate.State `json:"state"`
		convstate.Edit
	}
	if err := readJSON(c, &req); err != nil {
		return jsonError(c, lang, err)
	}
	if req.State == nil {
		return jsonError(c, lang, apperr.New(apperr.Invalid, "state_missing").WithParam("state"))
	}
	next, err := req.State.Apply(req.Edit)
	if err != nil {
		msg, param := localizeConvError(lang, err)
		if verr := req.State.Validate(); verr != nil {
			// Not even the page's own state is usable: the controls of
			// the default state, and the reason.
			return render(c, http.StatusUnprocessableEntity, views.ConvFragment(convview.Refused(lang, err, localizeConvError)))
		}
		vm, _ := convview.Build(lang, *req.State, localizeConvError)
		return render(c, http.StatusUnprocessableEntity, views.ConvFragment(convview.WithError(vm, msg, param)))
	}
	vm, err := convview.Build(lang, next, localizeConvError)
	status := http.StatusOK
	if err != nil {
		status = http.StatusUnprocessableEntity
	}
	return render(c, status, views.ConvFragment(vm))
}

// jsonError answers err as JSON {"error", "code", "param"} on a path
// outside /api/ whose script reads a fragment or JSON, never a page: the
// one error mapping (errorReply); a 5xx goes on to httpError.
func jsonError(c echo.Context, lang string, err error) error {
	status, body, _ := errorReply(err, lang)
	if status >= 500 {
		return err
	}
	return c.JSON(status, body)
}

// localizeConvError words a state the visualizer cannot use, in the
// reader's language (convview.ExplainKeys).
var localizeConvError convview.Explain = convview.ExplainKeys
