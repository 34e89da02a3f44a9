package server

import "github.com/labstack/echo/v4"

// routes is the one place where URLs meet handlers: one line per route.
// Control of the shared training run and leading the class need the
// presenter token when one is configured (requirePresenter).
func (a *app) routes(e *echo.Echo) {
	presenter := a.requirePresenter()

	e.GET("/healthz", a.healthz)
	e.GET("/", a.home)
	e.GET("/static/*", serveStatic)

	// The engine as a service, and the visualizer.
	e.POST("/api/conv", a.convAPI, a.heavy)
	e.GET("/conv", a.convPage)
	e.GET("/conv/stage", a.convStageQuery, a.heavy)
	e.POST("/conv/stage", a.convStageEdit, bodyLimit(convStageMaxBody), a.heavy)

	// Conv-arithmetic animations: the gallery, {name}.gif|.png and custom.gif|.png.
	e.GET("/animations", a.animationsPage)
	e.GET("/animations/pool.gif", a.poolAnimationFile, a.heavy)
	e.GET("/animations/pool.png", a.poolAnimationFile, a.heavy)
	e.GET("/animations/:file", a.animationFile)

	// Live training, shared by every viewer.
	e.GET("/train", a.trainPage)
	e.GET("/api/train/state", a.trainState)
	e.GET("/api/train/events", a.trainEvents, a.viewers.middleware)
	e.GET("/api/train/model.safetensors", a.trainModel)
	e.POST("/api/train/start", a.trainStart, presenter)
	e.POST("/api/train/pause", a.trainPause, presenter)
	e.POST("/api/train/resume", a.trainResume, presenter)
	e.POST("/api/train/reset", a.trainReset, presenter)
	e.POST("/api/train/step", a.trainStep, presenter) // one batch of a paused run (issue 14)
	e.GET("/conv/pool", a.convPoolPage, a.heavy)      // pooling in the visualizer (MaxPool2d / AvgPool2d)
	e.GET("/conv/backward", a.convBackwardPage)       // the backward pass of the visualizer's layer (issue 14)
	e.POST("/api/train/checkpoint", a.trainCheckpoint, presenter)

	// Draw a digit.
	e.GET("/draw", a.drawPage)
	e.POST("/api/predict", a.predictAPI, a.heavy)

	// The network explorer: every layer on one input, any cell explained.
	e.GET("/network", a.networkPage, a.heavy)
	e.GET("/network/cell", a.networkCell, a.heavy)
	e.GET("/network/random-miss", a.networkRandomMiss, a.heavy)

	// Classroom: the quiz and the follow-along.
	e.GET("/quiz", a.quizPage)
	e.GET("/api/quiz", a.quizAPI)
	e.POST("/api/quiz/check", a.quizCheckAPI, bodyLimit(4<<10))
	e.GET("/api/follow", a.followCurrent)
	e.GET("/api/follow/events", a.followEvents, a.viewers.middleware)
	e.GET("/api/follow/count", a.followCount)
	e.POST("/api/follow", a.followPublish, bodyLimit(followMaxBody), presenter)
	e.DELETE("/api/follow", a.followEnd, presenter)

	// The lesson: its stops, and the presenter's stop for followers.
	e.GET("/lesson", a.lessonIndex)
	e.GET("/lesson/:n", a.lessonPage)
	e.GET("/api/lesson/follow", a.lessonCurrent)
	e.GET("/api/lesson/follow/events", a.lessonEvents, a.viewers.middleware)
	e.POST("/api/lesson/follow", a.lessonLead, bodyLimit(1<<10), presenter)
}
