package server

import (
	"io"
	"net/http"

	"github.com/convlab/convlab/internal/convapi"
	"github.com/convlab/convlab/internal/jsonreq"
	"github.com/labstack/echo/v4"
)

// convAPI is POST /api/conv: the engine as a JSON service (issues 2, 14).
// internal/convapi decodes, checks and computes; a refusal is an
// *apperr.Error (or the engine's *conv.Error), which httpError says in
// the reader's language.
func (a *app) convAPI(c echo.Context) error {
	r := c.Request()
	if err := jsonreq.CheckContentType(r.Header.Get(echo.HeaderContentType), r.ContentLength); err != nil {
		return err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return jsonreq.ReadError(err)
	}
	resp, err := convapi.Compute(body)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, resp)
}
