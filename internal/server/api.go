package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
)

// readJSON decodes the request body (one JSON value) into v. Errors come
// back as *echo.HTTPError with a message a student can act on: 413 past the
// body limit, 400 for malformed JSON or a wrong type.
func readJSON(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if isTooLarge(err) {
			return jsonError(err)
		}
		return echo.NewHTTPError(http.StatusBadRequest, "the body must hold one JSON value, with nothing after it")
	}
	return nil
}

// jsonError words a decoding error for a student.
func jsonError(err error) *echo.HTTPError {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mb  *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mb):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge,
			fmt.Sprintf("the request body is too large (at most %d bytes)", mb.Limit))
	case errors.Is(err, io.EOF):
		return echo.NewHTTPError(http.StatusBadRequest, "the request body is empty: send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return echo.NewHTTPError(http.StatusBadRequest, "the JSON ends too early")
	case errors.As(err, &syn):
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("malformed JSON at byte %d: %v", syn.Offset, syn))
	case errors.As(err, &typ):
		where := typ.Field
		if where == "" {
			where = "the body"
		}
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("%s: expected %s, got a JSON %s", where, typ.Type, typ.Value))
	}
	return echo.NewHTTPError(http.StatusBadRequest, "malformed JSON: "+err.Error())
}
