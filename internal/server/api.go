package server

import (
	"github.com/convlab/convlab/internal/jsonreq"
	"github.com/labstack/echo/v4"
)

// readJSON decodes the request body, one JSON object, into v with the one
// decoder (internal/jsonreq): the body must be declared JSON (415
// otherwise), fit the body limit (413), and hold only v's fields, no null
// and nothing after the object (400). Errors are *apperr.Error, said in
// the reader's language by httpError.
func readJSON(c echo.Context, v any) error {
	r := c.Request()
	if err := jsonreq.CheckContentType(r.Header.Get(echo.HeaderContentType), r.ContentLength); err != nil {
		return err
	}
	_, err := jsonreq.Read(r.Body, v)
	return err
}
