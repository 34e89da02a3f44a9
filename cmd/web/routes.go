package main

import "github.com/labstack/echo/v4"

// routes is the one place where URLs meet handlers: one line per route.
// Feature helpers replace their placeholder line with their handler.
func (a *app) routes(e *echo.Echo) {
	e.GET("/healthz", a.healthz)
	e.GET("/", a.home)
	e.GET("/static/*", serveStatic)
	e.POST("/api/conv", a.convAPI, a.heavy)
	e.POST("/api/predict", a.predictAPI)

	e.GET("/conv", a.convPage)
	e.GET("/animations", a.animationsPage)
	e.GET("/animations/:file", a.animationFile)
	a.trainRoutes(e) // GET /train, /api/train/events|state; POST /api/train/start|pause|resume|reset|checkpoint
	a.drawRoutes(e)  // GET /draw (predictions: POST /api/predict)

	// classroom: GET /quiz, /api/quiz, /api/follow(/events); POST /api/quiz/check, /api/follow
	a.classroomRoutes(e)
}
