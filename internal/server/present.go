package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// presentCookie remembers presenter (projector) mode while the teacher
// moves between pages, including links that do not carry ?present=1
// (a form, a script's link, a typed URL).
const presentCookie = "present"

// presentMode reports whether the request is in presenter mode:
// ?present=1 turns it on and ?present=0 off (both remembered in a
// cookie for 12 hours); otherwise the cookie decides.
func presentMode(c echo.Context) bool {
	switch c.QueryParam("present") {
	case "1":
		c.SetCookie(&http.Cookie{Name: presentCookie, Value: "1", Path: "/", MaxAge: 12 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode})
		return true
	case "0":
		c.SetCookie(&http.Cookie{Name: presentCookie, Value: "", Path: "/", MaxAge: -1,
			HttpOnly: true, SameSite: http.SameSiteLaxMode})
		return false
	}
	ck, err := c.Cookie(presentCookie)
	return err == nil && ck.Value == "1"
}
