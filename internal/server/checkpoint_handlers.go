package server

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/convlab/convlab/internal/apperr"
	"github.com/labstack/echo/v4"
)

// restoreTimeout bounds restoring the checkpoint at startup (loading MNIST
// and decoding the file take a second or two).
const restoreTimeout = 2 * time.Minute

// restoreCheckpoint brings back the live run saved in the -checkpoint
// file, paused, as the server starts. A file that cannot be restored is
// logged, kept untouched and never written over; the server starts fresh.
func (a *app) restoreCheckpoint(ctx context.Context) {
	if a.cfg.CheckpointPath == "" {
		return
	}
	if dir := filepath.Dir(a.cfg.CheckpointPath); !isDir(dir) {
		a.log.Error("the folder of the -checkpoint file does not exist: the run cannot be saved until it does", "path", a.cfg.CheckpointPath)
	}
	ctx, cancel := context.WithTimeout(ctx, restoreTimeout)
	defer cancel()
	ok, err := a.train.RestoreCheckpoint(ctx)
	switch {
	case err != nil:
		a.log.Error("the training checkpoint was not restored; starting without it", "path", a.cfg.CheckpointPath, "error", err.Error())
	case ok:
		st := a.train.State()
		a.log.Info("training run restored from the checkpoint (paused: press start to continue)",
			"path", a.cfg.CheckpointPath, "run", st.Run, "net", st.Config.Net)
	default:
		a.log.Info("no checkpoint yet; the live run will be saved there", "path", a.cfg.CheckpointPath)
	}
}

// checkpointAnswer is the body of POST /api/train/checkpoint.
type checkpointAnswer struct {
	Path string `json:"path"`
	Step int    `json:"step"`
}

// trainCheckpoint: POST /api/train/checkpoint saves the live run now
// (presenter-only with a token). 409 when checkpoints are off (no
// -checkpoint), there is no run, or the file was refused at startup.
func (a *app) trainCheckpoint(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 20*time.Second)
	defer cancel()
	path, step, err := a.train.SaveCheckpoint(ctx)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return apperr.New(apperr.Unavailable, "train_no_answer").Wrap(err)
		}
		return err // *apperr.Error (409 with its reason), or logged and a general message
	}
	return c.JSON(http.StatusOK, checkpointAnswer{Path: path, Step: step})
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
