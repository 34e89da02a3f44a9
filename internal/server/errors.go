package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/internal/apperr"
	"github.com/labstack/echo/v4"
)

// The one place where errors meet HTTP. A handler returns an error; echo
// hands it to httpError (render.go), which asks errorReply for the status,
// the stable code and the message in the reader's language:
//
//   - *apperr.Error (and the engine's *conv.Error, through apperr.As): the
//     status of its kind (kindStatus), its code, its catalogue message;
//   - *echo.HTTPError (echo's own 404 and 405, http.MaxBytesError turned
//     413 by echo's middleware): its status; for those three a catalogue
//     message, otherwise its own;
//   - anything else: 500; the cause goes to the log, never to the user.
var kindStatus = map[apperr.Kind]int{
	apperr.Internal:         http.StatusInternalServerError,
	apperr.Invalid:          http.StatusBadRequest,
	apperr.Unprocessable:    http.StatusUnprocessableEntity,
	apperr.TooLarge:         http.StatusRequestEntityTooLarge,
	apperr.UnsupportedMedia: http.StatusUnsupportedMediaType,
	apperr.NotFound:         http.StatusNotFound,
	apperr.Forbidden:        http.StatusForbidden,
	apperr.Conflict:         http.StatusConflict,
	apperr.Unavailable:      http.StatusServiceUnavailable,
}

// errorBody is the JSON answer of a failed /api/ request.
type errorBody struct {
	Error string `json:"error"`          // for a person, in the request's language
	Code  string `json:"code,omitempty"` // stable, for a program: "json_syntax", "kernel_too_large", ...
	Param string `json:"param,omitempty"`
}

// errorReply is err as the user sees it: status, body (message in lang)
// and whether the cause must be logged (a 500 or a wrapped cause of a 5xx).
func errorReply(err error, lang string) (status int, body errorBody, logIt bool) {
	if e, ok := apperr.As(err); ok {
		status = kindStatus[e.Kind]
		return status, errorBody{Error: e.Message(lang), Code: e.Code, Param: e.Param}, status >= 500 && e.Err != nil
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg, _ := he.Message.(string)
		switch he.Code {
		case http.StatusRequestEntityTooLarge:
			return he.Code, errorBody{Error: i18n.TL(lang, "err.body_too_large_any"), Code: "body_too_large"}, false
		case http.StatusNotFound: // echo's: no route
			return he.Code, errorBody{Error: i18n.TL(lang, "error.not_found"), Code: "not_found"}, false
		case http.StatusMethodNotAllowed: // echo's: the route, another method
			return he.Code, errorBody{Error: i18n.TL(lang, "err.method_not_allowed"), Code: "method_not_allowed"}, false
		}
		if he.Code >= 500 {
			return he.Code, errorBody{}, true
		}
		if msg == "" || msg == http.StatusText(he.Code) {
			msg = strings.ToLower(http.StatusText(he.Code))
		}
		return he.Code, errorBody{Error: msg}, false
	}
	return http.StatusInternalServerError, errorBody{}, true
}

// engineMessage is the engine's refusal in lang (pages that show it inline).
func engineMessage(lang string, e *conv.Error) string { return apperr.FromConv(e).Message(lang) }
