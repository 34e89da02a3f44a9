package server

import (
	"net/http"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/internal/apperr"
	"github.com/convlab/convlab/internal/convstate"
	"github.com/convlab/convlab/internal/live"
	"github.com/convlab/convlab/views"
	"github.com/labstack/echo/v4"
)

// The classroom follow-along: the teacher's visualizer state (the
// configuration, the values and the step) is published with
// POST /api/follow and streamed to the students' pages with
// GET /api/follow/events (Server-Sent Events, event "state"). It reuses the
// training run's broadcast (live.Hub, live.Stream): each follower holds at
// most the latest pending state, so a slow or vanished student never
// slows the teacher, and the stream's goroutine is the request's own.

// followMaxBody bounds one published state: the largest visualizer state
// (4 channels of 32×32 inputs and 4×4 filters of 7×7: 4,880 numbers of at
// most ~14 characters as JSON) is under 70 KB.
const followMaxBody = 128 << 10

// followState is what a follower receives: the visualizer's state and a
// sequence number (which grows with every publication).
type followState struct {
	Seq   int64           `json:"seq"`
	State convstate.State `json:"state"`
	Time  int64           `json:"time"` // Unix milliseconds of the publication
	// Run identifies this server run: after a restart Seq starts again
	// from 1, so a follower that reconnects compares Seq only within a Run.
	Run int64 `json:"run"`
	// Ended: the teacher stopped leading (State is the last one shown);
	// the next publication starts again.
	Ended bool `json:"ended,omitempty"`
}

// latestHub is a live.Hub that remembers its latest event, so that a new
// follower receives it first: the follow-along's hub and the lesson's
// (lesson.go) are made of it.
type latestHub struct {
	hub *live.Hub
	run int64 // the hub's creation time (Unix milliseconds), see followState.Run

	mu     sync.Mutex // orders publications against subscriptions, so no follower misses one
	seq    int64      // the latest publication's number
	latest *live.Event
}

func newLatestHub() latestHub { return latestHub{hub: live.NewHub(), run: time.Now().UnixMilli()} }

func (h *latestHub) close() error { h.hub.Close(); return nil }

// sendLocked makes v (numbered seq) the latest event and hands it to every
// follower. h.mu is held.
func (h *latestHub) sendLocked(seq int64, v any) error {
	ev, err := live.Encode(live.KindState, v)
	if err != nil {
		return err
	}
	h.seq = seq
	h.latest = &ev
	h.hub.Publish(ev)
	return nil
}

// subscribe adds a follower who first receives the latest event, if any.
func (h *latestHub) subscribe() (*live.Sub, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.latest != nil {
		return h.hub.Subscribe(*h.latest)
	}
	return h.hub.Subscribe()
}

// followHub holds the latest published state and the followers.
type followHub struct {
	latestHub
	state *followState
}

func newFollowHub() *followHub { return &followHub{latestHub: newLatestHub()} }

// publish stores s as the latest state and hands it to every follower.
func (f *followHub) publish(s convstate.State, now time.Time) (followState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.publishLocked(followState{Seq: f.seq + 1, Run: f.run, State: s, Time: now.UnixMilli()})
}

// end tells the followers that the teacher stopped leading. It does
// nothing before the first state or when already ended.
func (f *followHub) end(now time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.state == nil || f.state.Ended {
		return nil
	}
	fs := *f.state
	fs.Seq, fs.Time, fs.Ended = f.seq+1, now.UnixMilli(), true
	_, err := f.publishLocked(fs)
	return err
}

func (f *followHub) publishLocked(fs followState) (followState, error) {
	if err := f.sendLocked(fs.Seq, fs); err != nil {
		return followState{}, err
	}
	f.state = &fs
	return fs, nil
}

// current is the latest published state (nil before the first).
func (f *followHub) current() *followState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state
}

// followEnd handles DELETE /api/follow: the teacher stops leading; the
// followers are told so (and keep the last state).
func (a *app) followEnd(c echo.Context) error {
	if err := a.follow.end(time.Now()); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// followPublish handles POST /api/follow {"state": {...}}: the teacher's
// visualizer state, checked as the visualizer checks it (convstate).
func (a *app) followPublish(c echo.Context) error {
	var req struct {
		State *convstate.State `json:"state"`
	}
	if err := readJSON(c, &req); err != nil {
		return err
	}
	if req.State == nil {
		return apperr.New(apperr.Invalid, "state_missing").WithParam("state")
	}
	// The one check of the visualizer (bounds, value lengths, the
	// engine's rules, the page's budget): a state the page cannot run is
	// not sent to the class. The reason is in the teacher's language.
	if _, err := req.State.Resolve(); err != nil {
		return err
	}
	fs, err := a.follow.publish(*req.State, time.Now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"seq": fs.Seq, "followers": a.follow.hub.Len()})
}

// followCurrent answers GET /api/follow with the latest state, or 204
// when the teacher has not published one yet.
func (a *app) followCurrent(c echo.Context) error {
	fs := a.follow.current()
	if fs == nil {
		return c.NoContent(http.StatusNoContent)
	}
	return c.JSON(http.StatusOK, fs)
}

// followEvents streams the teacher's state to a student.
func (a *app) followEvents(c echo.Context) error { return a.streamLatest(c, &a.follow.latestHub) }

// streamLatest streams h to one follower, its latest event first (the
// follow-along's and the lesson's event streams).
func (a *app) streamLatest(c echo.Context, h *latestHub) error {
	sub, ok := h.subscribe()
	if !ok {
		return apperr.New(apperr.Unavailable, "busy_closing")
	}
	live.Stream(c.Response(), c.Request(), h.hub, sub, live.StreamOptions{Done: a.streamsDone()})
	return nil
}

// classroomView fills the visualizer's classroom bar: "Lead the class"
// for the presenter, the follow link, the quiz link, and, on
// /conv?follow=1, the follower's status and "Detach".
func (a *app) classroomView(c echo.Context, p views.Page) views.ClassroomView {
	return a.classroomFor(c, p, "/conv?follow=1")
}

// classroomFor is classroomView for a page whose followers open
// followPath (the visualizer's /conv?follow=1, /lesson?follow=1).
func (a *app) classroomFor(c echo.Context, p views.Page, followPath string) views.ClassroomView {
	follow := c.QueryParam("follow") == "1"
	canLead := a.isPresenter(c)
	v := views.ClassroomView{
		CanLead:   canLead,
		Follow:    follow,
		FollowURL: followPath,
		QuizURL:   string(p.NavURL("/quiz")),
		Data: map[string]any{
			"messages": i18n.Messages(p.Lang, "class."),
			"follow":   follow,
			"can_lead": canLead,
		},
	}
	if canLead {
		u, svg := a.studentsLink(c, followPath, i18n.T(c.Request().Context(), "class.qr_label"))
		v.StudentURL = u
		if svg != "" {
			v.QR = templ.Raw(svg)
		}
		v.Followers = a.followers()
	}
	return v
}

// followCount answers GET /api/follow/count: how many follow now.
func (a *app) followCount(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]int{"followers": a.followers()})
}
