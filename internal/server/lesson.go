package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/internal/apperr"
	"github.com/convlab/convlab/internal/convstate"
	"github.com/convlab/convlab/views"
	"github.com/labstack/echo/v4"
)

// /lesson: the seed lesson as a guided sequence of stops, /lesson/1 ...
// /lesson/N (stable URLs: a stop's number never changes meaning, new
// stops go at the end of a part). Each stop is a short text, a live
// picture (the engine's animation, the visualizer at the stop's state)
// and next/back. The presenter's stop drives the followers
// (/lesson?follow=1) through a live.Hub, as the visualizer's follow-along.

// lessonStop is one stop of the lesson. Its texts are lesson.<ID>.title
// and lesson.<ID>.p1 … p<Paras> in the catalogues.
type lessonStop struct {
	ID     string
	Paras  int
	Preset string // the visualizer's preset shown live at this stop ("" none)
	Step   int    // the step it opens at (0: the first)
	Anim   string // a classic animation name (animations.Classic) or ""
	Link   string // another part of the app to open ("" none)
	LinkK  string // its label's key
	Code   string // code shown as is (PyTorch), "" none
	Params []string
}

// lessonStops is the lesson, in the seed's order, then the parts this
// app adds.
var lessonStops = []lessonStop{
	{ID: "flatten", Paras: 2, Link: "/conv?preset=lesson-mnist", LinkK: "lesson.try"},
	{ID: "conv", Paras: 2, Preset: "lesson-4x4", Step: 1, Anim: "no_padding_no_strides", Link: "/conv?preset=lesson-4x4", LinkK: "lesson.try"},
	{ID: "worked", Paras: 2, Preset: "lesson-5x5", Step: 1, Link: "/conv?preset=lesson-5x5&step=1", LinkK: "lesson.try"},
	// Step 164: the window on the top edge of the 7's bar (output 3.98), where
	// the text says the output is strongly positive; step 1 is background.
	{ID: "mnist", Paras: 2, Preset: "lesson-mnist", Step: 164, Link: "/conv?preset=lesson-mnist&step=164", LinkK: "lesson.try"},
	{ID: "conv2d", Paras: 2, Code: "nn.Conv2d(in_channels=1, out_channels=1, kernel_size=3, stride=1, padding=0)",
		Params: []string{"in_channels", "out_channels", "kernel_size", "stride", "padding"}},
	{ID: "stride", Paras: 2, Preset: "stride", Step: 1, Anim: "no_padding_strides", Link: "/conv?preset=stride", LinkK: "lesson.try"},
	{ID: "padding", Paras: 2, Preset: "zero-padding", Step: 1, Anim: "full_padding_no_strides", Link: "/conv?preset=zero-padding", LinkK: "lesson.try"},
	{ID: "pooling", Paras: 2, Link: "/network", LinkK: "lesson.open_network"},
	{ID: "network", Paras: 2, Link: "/network", LinkK: "lesson.open_network"},
	{ID: "training", Paras: 2, Link: "/train", LinkK: "lesson.open_train"},
	{ID: "drawing", Paras: 2, Link: "/draw", LinkK: "lesson.open_draw"},
}

// lessonIndex renders /lesson: the stops, and "start".
func (a *app) lessonIndex(c echo.Context) error {
	ctx := c.Request().Context()
	p := lessonPageModel(a.page(c, i18n.T(ctx, "lesson.title"), "lesson"))
	return render(c, http.StatusOK, views.Lesson(p, a.lessonView(c, p, 0)))
}

// lessonPage renders /lesson/N.
func (a *app) lessonPage(c echo.Context) error {
	ctx := c.Request().Context()
	n, err := strconv.Atoi(c.Param("n"))
	if err != nil || n < 1 || n > len(lessonStops) {
		return noStop(apperr.NotFound, apperr.Truncate(c.Param("n"), 20))
	}
	st := lessonStops[n-1]
	p := lessonPageModel(a.page(c, i18n.T(ctx, "lesson."+st.ID+".title"), "lesson"))
	v := a.lessonView(c, p, n)
	if st.Preset != "" {
		// The visualizer at the stop's state; the page's own query (the
		// step the script wrote, an edit) overrides it.
		q := url.Values{"preset": {st.Preset}}
		if st.Step > 0 {
			q.Set("step", strconv.Itoa(st.Step))
		}
		for k, vs := range c.Request().URL.Query() {
			if convstate.IsParam(k) {
				q[k] = vs
			}
		}
		vm, status := convPageView(i18n.Lang(ctx), q)
		if status != http.StatusOK {
			// A hand-edited query the page cannot show: the stop as it is.
			q = url.Values{"preset": {st.Preset}}
			vm, _ = convPageView(i18n.Lang(ctx), q)
		}
		v.Stage = views.ConvEmbed(vm)
		p.Scripts = append([]string{"/static/js/visualizer.js", "/static/js/fit.js"}, p.Scripts...)
		p.Styles = append([]string{"/static/css/conv.css"}, p.Styles...)
	}
	return render(c, http.StatusOK, views.Lesson(p, v))
}

// lessonPageModel adds the lesson's script and styles.
func lessonPageModel(p views.Page) views.Page {
	p.Scripts = []string{"/static/js/lesson.js"}
	p.Styles = []string{"/static/css/classroom.css", "/static/css/lesson.css"}
	return p
}

// lessonView is the view model of /lesson (n = 0) and /lesson/n.
func (a *app) lessonView(c echo.Context, p views.Page, n int) views.LessonView {
	ctx := c.Request().Context()
	v := views.LessonView{N: n, Total: len(lessonStops)}
	for i, st := range lessonStops {
		v.Stops = append(v.Stops, views.LessonLink{N: i + 1, Href: p.NavURL(lessonURL(i + 1)),
			Title: i18n.T(ctx, "lesson."+st.ID+".title"), Current: i+1 == n})
	}
	v.Classroom = a.classroomFor(c, p, "/lesson?follow=1")
	v.Classroom.Data = map[string]any{
		"messages": i18n.Messages(p.Lang, "class."),
		"follow":   v.Classroom.Follow,
		"can_lead": v.Classroom.CanLead,
		"stop":     n,
		"total":    len(lessonStops),
	}
	if n == 0 {
		v.Title = i18n.T(ctx, "lesson.title")
		v.Paras = []string{i18n.T(ctx, "lesson.intro")}
		v.NextURL = p.NavURL(lessonURL(1))
		return v
	}
	st := lessonStops[n-1]
	v.ID = st.ID
	v.Title = i18n.T(ctx, "lesson."+st.ID+".title")
	for i := 1; i <= st.Paras; i++ {
		v.Paras = append(v.Paras, i18n.T(ctx, fmt.Sprintf("lesson.%s.p%d", st.ID, i)))
	}
	if st.Anim != "" {
		v.AnimURL = "/animations/" + st.Anim + ".gif"
		v.AnimAlt = i18n.T(ctx, "lesson."+st.ID+".anim")
	}
	if st.Link != "" {
		v.TryURL = p.NavURL(st.Link)
		v.TryLabel = i18n.T(ctx, st.LinkK)
	}
	v.Code = st.Code
	for _, name := range st.Params {
		v.Params = append(v.Params, views.LessonParam{Name: name, Text: i18n.T(ctx, "lesson.param."+name)})
	}
	if n > 1 {
		v.PrevURL = p.NavURL(lessonURL(n - 1))
	}
	if n < len(lessonStops) {
		v.NextURL = p.NavURL(lessonURL(n + 1))
	} else {
		v.EndURL = p.NavURL("/quiz")
	}
	return v
}

func lessonURL(n int) string { return "/lesson/" + strconv.Itoa(n) }

// lessonMaxStep bounds a published step (the visualizer clamps it to its
// own count).
const lessonMaxStep = 1 << 20

// ---------- following the presenter's stop ----------

// lessonPos is what a lesson follower receives.
type lessonPos struct {
	Seq  int64 `json:"seq"`
	Run  int64 `json:"run"`
	Stop int   `json:"stop"`
	Step int   `json:"step,omitempty"` // the visualizer's step at a stop that has one (0: not given)
}

// lessonHub holds the presenter's stop and the lesson's followers.
type lessonHub struct {
	latestHub
	pos *lessonPos
}

func newLessonHub() *lessonHub { return &lessonHub{latestHub: newLatestHub()} }

func (h *lessonHub) publish(stop, step int) (lessonPos, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	pos := lessonPos{Seq: h.seq + 1, Run: h.run, Stop: stop, Step: step}
	if err := h.sendLocked(pos.Seq, pos); err != nil {
		return lessonPos{}, err
	}
	h.pos = &pos
	return pos, nil
}

func (h *lessonHub) current() *lessonPos {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.pos
}

// noStop is a lesson stop that does not exist (the message "lesson.no_stop"):
// a page that is not there (NotFound) or a request that names it (Invalid).
func noStop(kind apperr.Kind, n any) *apperr.Error {
	return apperr.NewKeyed(kind, "lesson_no_stop", "lesson.no_stop", apperr.A("0", n), apperr.A("1", len(lessonStops)))
}

// lessonLead handles POST /api/lesson/follow {"stop": n, "step": k}
// (presenter only; step is optional: the visualizer's step at the stop).
func (a *app) lessonLead(c echo.Context) error {
	var req struct {
		Stop int `json:"stop"`
		Step int `json:"step"`
	}
	if err := readJSON(c, &req); err != nil {
		return err
	}
	if req.Stop < 1 || req.Stop > len(lessonStops) {
		return noStop(apperr.Invalid, req.Stop).WithParam("stop")
	}
	if req.Step < 0 || req.Step > lessonMaxStep {
		return apperr.NewKeyed(apperr.Invalid, "lesson_bad_step", "lesson.bad_step",
			apperr.A("0", req.Step), apperr.A("1", lessonMaxStep)).WithParam("step")
	}
	pos, err := a.lesson.publish(req.Stop, req.Step)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"seq": pos.Seq, "followers": a.followers()})
}

// lessonCurrent answers GET /api/lesson/follow: the presenter's stop, or
// 204 before the first.
func (a *app) lessonCurrent(c echo.Context) error {
	pos := a.lesson.current()
	if pos == nil {
		return c.NoContent(http.StatusNoContent)
	}
	return c.JSON(http.StatusOK, pos)
}

// lessonEvents streams the presenter's stop (event "state").
func (a *app) lessonEvents(c echo.Context) error { return a.streamLatest(c, &a.lesson.latestHub) }

// followers counts the students following the visualizer or the lesson.
func (a *app) followers() int { return a.follow.hub.Len() + a.lesson.hub.Len() }
