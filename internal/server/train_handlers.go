package server

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/internal/apperr"
	"github.com/convlab/convlab/internal/jsonreq"
	"github.com/convlab/convlab/internal/live"
	"github.com/convlab/convlab/views"
	"github.com/labstack/echo/v4"
)

// maxTrainBody bounds the JSON body of /api/train/start.
const maxTrainBody = 4 << 10

// newTrainManager makes the server's one training run, loading MNIST
// lazily (on the first start) from -mnist, $MNIST_DIR or the module cache.
// With -checkpoint the run is saved to that file (checkpoint_handlers.go).
func newTrainManager(cfg config, log *slog.Logger, data *live.MNIST) *live.Manager {
	// Presenter: control always needs the presenter (presenter.go).
	return live.New(live.Options{Factory: data.Factory, Presenter: true,
		Checkpoint: cfg.CheckpointPath, Resume: data.Resume, Log: log})
}

// trainAnswer answers a control request with the run's state, or its error.
func trainAnswer(c echo.Context, st live.State, err error) error {
	if err != nil {
		return err // *apperr.Error: status and message by httpError
	}
	return c.JSON(http.StatusOK, st)
}

// trainStart: POST /api/train/start with an optional JSON body
// {"net", "optimizer", "lr", "batch_size"}. It starts a run, or resumes a
// paused one (settings other than the run's need a reset first: 409).
func (a *app) trainStart(c echo.Context) error {
	r := c.Request()
	if err := jsonreq.CheckContentType(r.Header.Get(echo.HeaderContentType), r.ContentLength); err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), r.Body, maxTrainBody))
	if err != nil {
		return jsonreq.ReadError(err)
	}
	var cfg *live.Config
	if len(body) > 0 {
		parsed, err := live.ParseConfig(body) // the one decoder (jsonreq), with the settings' checks
		if err != nil {
			return err
		}
		cfg = &parsed
	}
	st, err := a.train.Start(c.Request().Context(), cfg)
	return trainAnswer(c, st, err)
}

func (a *app) trainPause(c echo.Context) error {
	st, err := a.train.Pause()
	return trainAnswer(c, st, err)
}

func (a *app) trainResume(c echo.Context) error {
	st, err := a.train.Resume()
	return trainAnswer(c, st, err)
}

// trainStep: POST /api/train/step trains one batch of a paused run (the
// presenter's "step" control) → {"state": …, "step": n}.
func (a *app) trainStep(c echo.Context) error {
	st, step, err := a.train.Step(c.Request().Context())
	if err != nil {
		return trainAnswer(c, st, err)
	}
	return c.JSON(http.StatusOK, struct {
		live.State
		Step int `json:"step"`
	}{st, step})
}

func (a *app) trainReset(c echo.Context) error {
	return c.JSON(http.StatusOK, a.train.Reset())
}

func (a *app) trainState(c echo.Context) error {
	return c.JSON(http.StatusOK, a.train.State())
}

// trainModel downloads the live model (its latest snapshot) as a
// safetensors file: serve it with -model, or load it in PyTorch.
func (a *app) trainModel(c echo.Context) error {
	net := a.train.LiveNet()
	if net == nil {
		return apperr.New(apperr.Conflict, "train_no_model")
	}
	b, err := net.Encode()
	if err != nil {
		return err
	}
	st := a.train.State()
	name := fmt.Sprintf("convlab-%s-run%d.safetensors", net.Preset(), st.Run)
	h := c.Response().Header()
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "application/octet-stream", b)
}

// trainEvents streams the run to a viewer (Server-Sent Events). The stream
// lifts the server's write timeout for itself and ends when the viewer
// leaves or the server shuts down.
func (a *app) trainEvents(c echo.Context) error {
	a.train.ServeEvents(c.Response(), c.Request(), live.StreamOptions{Done: a.streamsDone()})
	return nil
}

// trainPage renders /train. Viewers without the presenter token see the
// controls disabled, with a note.
func (a *app) trainPage(c echo.Context) error {
	ctx := c.Request().Context()
	st := a.train.State()
	p := a.page(c, i18n.T(ctx, "train.title"), "train")
	p.Scripts = []string{"/static/js/train.js"}
	p.Styles = []string{"/static/css/train.css", "/static/css/filterwatch.css"}
	vm := views.TrainView{
		CanControl: a.isPresenter(c),
		State:      st.State,
		Net:        st.Config.Net,
		Optimizer:  st.Config.Optimizer,
		LR:         st.Config.LR,
		BatchSize:  st.Config.BatchSize,
		Augment:    st.Config.Augment,
		MaxLR:      live.MaxLR,
		MaxBatch:   live.MaxBatchSize,
		Messages:   i18n.Messages(i18n.Lang(ctx), "train."),
	}
	return render(c, http.StatusOK, views.Train(p, vm))
}

// trainGate lets requests go before training steps: while any request is
// in flight the training goroutine waits between steps (at most
// live.MaxYield each time). Event streams (Accept: text/event-stream, or
// a route ending in /events) are long-lived and not counted.
func (a *app) trainGate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if strings.Contains(c.Request().Header.Get("Accept"), "text/event-stream") || strings.HasSuffix(c.Path(), "/events") {
			return next(c)
		}
		defer a.train.Gate().Enter()()
		return next(c)
	}
}
